import { z } from "zod";
import type { Logger } from "pino";
import { defineRoute, type Router } from "../router.js";
import type { McpServerDeps } from "./mcp-server.js";

/** `POST /mcp`: agentd as an MCP server over Streamable HTTP (stateless; JSON-RPC in, JSON-RPC out). */
export const mcpServerRoute = defineRoute({
  method: "post", path: "/mcp", tag: "mcp", scope: ["chat", "read", "vault"], raw: { request: "application/json", response: "application/json" },
  summary: "agentd as an MCP server (Streamable HTTP, stateless): tools chat, vault_search, vault_read, vault_write, memory_append, sessions_list, schedule_create and vault:// resources, each listed and callable as the token's scopes allow.",
  body: z.looseObject({ jsonrpc: z.literal("2.0"), method: z.string().optional() }).describe("a JSON-RPC 2.0 message (or batch) of MCP"),
  response: z.looseObject({ jsonrpc: z.literal("2.0") }).describe("the JSON-RPC answer"),
});

/**
 * The request with `Accept: application/json, text/event-stream` when it sent no Accept or `*\/*` (curl): the
 * Streamable HTTP transport requires both types listed, and a JSON answer is what such a client wants anyway.
 */
function acceptingJson(req: Request): Request {
  const accept = req.headers.get("accept");
  if (accept && accept !== "*/*") return req;
  const headers = new Headers(req.headers);
  headers.set("accept", "application/json, text/event-stream");
  return new Request(req, { headers });
}

/** `text` parsed as JSON, or undefined when it is not JSON. */
function parsedJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Mounts `POST /mcp` (and 405 for `GET`/`DELETE /mcp`: this server offers no standalone SSE stream and has no
 * sessions to end). The MCP SDK (~130 ms, ~35 MB) is imported on the first request, not at start.
 */
export function mountMcpServer(router: Router, deps: McpServerDeps & { logger: Logger }): void {
  let loaded: Promise<typeof import("./mcp-server.js")> | undefined;
  router.route(mcpServerRoute, async ({ c, principal }) => {
    const text = await c.req.text();
    const body = parsedJson(text);
    // JSON-RPC 2.0 §6: an empty batch is one Invalid Request error (the SDK's transport answers it 202, as if it
    // held only notifications)
    if (Array.isArray(body) && body.length === 0) {
      return Response.json({ jsonrpc: "2.0", error: { code: -32600, message: "Invalid Request: an empty batch" }, id: null }, { status: 400 });
    }
    // the request's body stream is used up: the transport gets the text again (and the parsed body, if it parsed;
    // if not, it answers its own parse error)
    const req = new Request(c.req.raw.url, { method: "POST", headers: c.req.raw.headers, body: text });
    const mod = await (loaded ??= import("./mcp-server.js"));
    return mod.handleMcpRequest(acceptingJson(req), deps, principal, body);
  });
  const notAllowed = () => Response.json(
    { jsonrpc: "2.0", error: { code: -32000, message: "Method not allowed: this MCP server is stateless; send JSON-RPC with POST /mcp" }, id: null },
    { status: 405, headers: { allow: "POST" } },
  );
  router.app.get("/mcp", notAllowed);
  router.app.delete("/mcp", notAllowed);
}
