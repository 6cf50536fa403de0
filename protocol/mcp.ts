import { z } from "zod";
import { defineMethod } from "./method-spec.js";

/**
 * Connection state of one configured MCP server (issue 3):
 * - `disabled`: `enabled: false` in the config; never started
 * - `connecting`: the first connection attempt is under way
 * - `connected`: initialized; its tools are offered to the model
 * - `reconnecting`: a working connection dropped (process exit, HTTP error); retrying with backoff
 * - `error`: the latest connection attempt failed (`lastError` says why); retried with backoff
 */
export const McpServerState = z.enum(["disabled", "connecting", "connected", "reconnecting", "error"]);
/** See {@link McpServerState}. */
export type McpServerState = z.infer<typeof McpServerState>;

/**
 * What `GET /api/mcp` and `mcp.list` show for one MCP server. Never carries a secret: no env, headers or URL.
 * - `name`: the key under `mcp.servers`
 * - `transport`: `stdio` (a child process) or `http` (streamable HTTP)
 * - `state`, `lastError`: see {@link McpServerState}; `lastError` is kept after a reconnect for diagnosis
 * - `tools`: the tool names offered to the model, `<server>__<tool>` (empty unless connected)
 * - `pid`: the stdio child's process id while it runs
 * - `connectedAt`: ISO 8601 time of the current connection
 * - `nextRetryAt`: ISO 8601 time of the next connection attempt, while waiting to retry
 */
export const McpServerStatusSchema = z.strictObject({
  name: z.string(),
  transport: z.enum(["stdio", "http"]),
  enabled: z.boolean(),
  state: McpServerState,
  lastError: z.string().optional(),
  tools: z.array(z.string()),
  pid: z.number().int().optional(),
  connectedAt: z.string().optional(),
  nextRetryAt: z.string().optional(),
});
/** See {@link McpServerStatusSchema}. */
export type McpServerStatus = z.infer<typeof McpServerStatusSchema>;

/** Protocol methods of the MCP client manager (issue 3). `mcp.list` is the WS twin of `GET /api/mcp`. */
export const mcpMethods = {
  "mcp.list": defineMethod({
    scope: "read",
    params: z.strictObject({}),
    result: z.strictObject({ servers: z.array(McpServerStatusSchema) }),
    description: "List the configured MCP servers: transport, connection state, last error and tool names.",
    rest: { method: "get", path: "/api/mcp", tag: "mcp", summary: "MCP servers: state, last error, tool names." },
  }),
};
