import { z } from "zod";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import {
  CallToolRequestSchema, ErrorCode, ListResourcesRequestSchema, ListResourceTemplatesRequestSchema, ListToolsRequestSchema,
  McpError, ReadResourceRequestSchema, type CallToolResult, type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv-provider.js";
import { scopeAllows } from "../../../protocol/scopes.js";
import type { MethodName, ParamsIn } from "../../../protocol/methods.js";
import { ValidationError, toWireError, AgentdError } from "../../errors.js";
import { issuePath } from "../method-registry.js";
import { authorize, type Principal } from "../scopes.js";
import { MCP_RESOURCE_SCOPE, MCP_TOOLS, type McpToolContext } from "./tools.js";

/** JSON-RPC error code of a call the token's scopes do not allow (in the server-defined range of JSON-RPC 2.0 §5.1). */
export const MCP_FORBIDDEN_CODE = -32003;

/** What the MCP server needs per request: the daemon's operations and the caller. */
export type McpServerDeps = Omit<McpToolContext, "signal" | "principal"> & { version: string; agentName: string };

/**
 * One JSON Schema validator for every per-request server: the SDK otherwise builds an Ajv instance per
 * {@link Server} (~2 ms each), which would dominate a stateless request.
 */
const SCHEMA_VALIDATOR = new AjvJsonSchemaValidator();

/** Each tool's `tools/list` entry, built once (the JSON Schemas of zod inputs). */
const LISTED: ReadonlyMap<string, Tool> = new Map(MCP_TOOLS.map((t) => {
  const inputSchema = z.toJSONSchema(t.input, { target: "draft-2020-12", io: "input" }) as Tool["inputSchema"];
  delete (inputSchema as Record<string, unknown>).$schema;
  return [t.name, { name: t.name, description: t.description, inputSchema }];
}));

const VAULT_URI = "vault://";
const notePathOf = (uri: string): string => {
  if (!uri.startsWith(VAULT_URI)) throw new McpError(ErrorCode.InvalidParams, `unknown resource ${uri}: agentd serves vault://<note path>`);
  return uri.slice(VAULT_URI.length).split("/").map(decodeURIComponent).join("/");
};
const uriOf = (path: string) => VAULT_URI + path.split("/").map(encodeURIComponent).join("/");

/**
 * A JSON-RPC error the SDK sends as is (`code`, `message`, `data`): unlike {@link McpError}, its message carries
 * no "MCP error <code>:" prefix.
 */
class RpcError extends Error {
  constructor(readonly code: number, message: string, readonly data?: Record<string, unknown>) {
    super(message);
  }
}

/** Turns an agentd error into MCP's answer: a `forbidden` becomes a JSON-RPC error, others a tool result with `isError`. */
function toolError(err: unknown): CallToolResult {
  const wire = toWireError(err);
  if (wire.code === "forbidden") throw new RpcError(MCP_FORBIDDEN_CODE, wire.message, { code: wire.code, ...wire.details });
  return { isError: true, content: [{ type: "text", text: `${wire.code}: ${wire.message}` }], structuredContent: { error: wire } };
}

/**
 * agentd's MCP server for one caller (issue 15), built with the MCP SDK's low-level {@link Server}: `tools/list`
 * lists the tools of {@link MCP_TOOLS} the caller's scopes allow; `tools/call` checks the tool's declared scope
 * ({@link authorize}), validates the arguments and runs it; `resources/list` and `resources/read` serve vault notes
 * as `vault://<path>` (markdown), with the template `vault://{+path}`.
 */
export function createMcpServer(deps: McpServerDeps, principal: Principal): Server {
  const server = new Server(
    { name: `agentd-${deps.agentName}`, version: deps.version },
    { capabilities: { tools: {}, resources: {} }, jsonSchemaValidator: SCHEMA_VALIDATOR, instructions: `Tools and notes of the agent "${deps.agentName}" (agentd). Use the chat tool to talk to the agent; vault_search and vault_read to look things up in its notes.` },
  );
  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: MCP_TOOLS.filter((t) => scopeAllows(principal.scopes, t.scope)).map((t) => LISTED.get(t.name)!),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    const spec = MCP_TOOLS.find((t) => t.name === req.params.name);
    if (!spec) throw new McpError(ErrorCode.InvalidParams, `unknown tool "${req.params.name}"; tools: ${MCP_TOOLS.map((t) => t.name).join(", ")}`);
    try {
      authorize(principal, spec.scope, `the ${spec.name} tool`);
      const parsed = spec.input.safeParse(req.params.arguments ?? {});
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new ValidationError(`arguments.${issuePath(issue.path) || "(root)"}: ${issue.message}`, { path: issuePath(issue.path) || "(root)" });
      }
      const out = await spec.run(parsed.data, { ...deps, principal, signal: extra.signal });
      return { content: [{ type: "text", text: out.text }], structuredContent: out.structured };
    } catch (err) {
      return toolError(err);
    }
  });
  const call = <M extends MethodName>(method: M, params: ParamsIn<M>) => deps.registry.call(method, params, { transport: "mcp", principal });
  const asMcp = (err: unknown): never => {
    const wire = toWireError(err);
    if (err instanceof AgentdError) throw new RpcError(wire.code === "forbidden" ? MCP_FORBIDDEN_CODE : wire.code === "not_found" ? ErrorCode.InvalidParams : ErrorCode.InternalError, wire.message, { code: wire.code });
    throw err;
  };
  const resourceScope = (what: string) => {
    try {
      authorize(principal, MCP_RESOURCE_SCOPE, what);
    } catch (err) {
      asMcp(err);
    }
  };
  server.setRequestHandler(ListResourcesRequestSchema, async () => {
    resourceScope("resources/list");
    const r = (await call("vault.list", {}).catch(asMcp));
    return { resources: r.notes.map((n) => ({ uri: uriOf(n.path), name: n.path, title: n.title, mimeType: "text/markdown", size: n.size })) };
  });
  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({
    resourceTemplates: [{ uriTemplate: `${VAULT_URI}{+path}`, name: "vault-note", title: "A note of the agent's vault", mimeType: "text/markdown" }],
  }));
  server.setRequestHandler(ReadResourceRequestSchema, async (req) => {
    resourceScope("resources/read");
    const r = (await call("vault.read", { path: notePathOf(req.params.uri) }).catch(asMcp));
    return { contents: [{ uri: req.params.uri, mimeType: "text/markdown", text: r.content }] };
  });
  return server;
}

/**
 * Answers one Streamable HTTP request at `/mcp` (MCP 2025-06-18 "Transports") in stateless mode: a server and a
 * transport per request, so every request is authorised by its own bearer token and any daemon restart is
 * invisible to clients. JSON responses (no SSE) for POST; GET and DELETE are answered 405 by the transport's rules.
 * `parsedBody`: the request's body already parsed as JSON (the transport then does not read the body).
 */
export async function handleMcpRequest(request: Request, deps: McpServerDeps, principal: Principal, parsedBody?: unknown): Promise<Response> {
  const server = createMcpServer(deps, principal);
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(transport);
  // JSON mode resolves once every answer of the request is written; the pair holds no timer or socket after
  // that, so it is left to the garbage collector (close() would only build "connection closed" errors)
  return transport.handleRequest(request, parsedBody === undefined ? undefined : { parsedBody });
}
