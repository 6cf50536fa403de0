import { z } from "zod";

/** Pattern of an MCP server name (the key under `mcp.servers`): 1-32 of `a-z A-Z 0-9 _ -`. */
export const MCP_SERVER_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,32}$/;

const SERVER_NAME_RULE = "MCP server names are 1-32 characters of a-z, A-Z, 0-9, _ and -";

/** Default time a single MCP `tools/call` may take before it fails with a `timeout` error: 60 s. */
export const DEFAULT_CALL_TIMEOUT_MS = 60_000;

const toolFilter = z
  .strictObject({
    allow: z.array(z.string().min(1)).optional(),
    deny: z.array(z.string().min(1)).optional(),
  })
  .describe("Tool names as the server lists them (no `<server>__` prefix). Empty or absent `allow` = all; `deny` wins.");

const common = {
  enabled: z.boolean().default(true),
  tools: toolFilter.optional(),
  callTimeoutMs: z.number().int().positive().max(3_600_000).default(DEFAULT_CALL_TIMEOUT_MS),
};

/** A server started as a child process speaking MCP over stdin/stdout. */
const StdioServerConfig = z.strictObject({
  command: z.string().min(1),
  args: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()).optional(),
  cwd: z.string().min(1).optional(),
  ...common,
});

/** A server reached over MCP streamable HTTP. */
const HttpServerConfig = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: "expected an http:// or https:// URL" }),
  headers: z.record(z.string(), z.string()).optional(),
  ...common,
});

/**
 * One entry of `mcp.servers.<name>` in `agentd.yaml` (issue 3). Either
 * - stdio: `{ command, args?, env?, cwd? }`: a child process; a relative `cwd`, and a `command` containing a `/`,
 *   resolve against the agent folder; `env` is added to a minimal inherited environment (HOME, PATH, SHELL, TERM,
 *   USER, LOGNAME), or
 * - streamable HTTP: `{ url, headers? }` (http/https URL; `headers` e.g. `Authorization`),
 * both with `enabled` (default `true`), `tools: { allow?, deny? }` (server-side tool names; absent/empty `allow`
 * = all, `deny` wins) and `callTimeoutMs` (per `tools/call`, default 60 000).
 * Objects are strict: a misspelt key fails with its key path. `env` and `headers` values are secrets: they never
 * appear in logs or status.
 */
export const McpServerConfig = z.union([StdioServerConfig, HttpServerConfig], {
  error: (issue) =>
    issue.code === "invalid_union"
      ? "expected a stdio server { command, args?, env?, cwd? } or an HTTP server { url, headers? }"
      : undefined,
});
/** A validated MCP server entry (defaults applied), see {@link McpServerConfig}. */
export type McpServerConfig = z.output<typeof McpServerConfig>;
/** An MCP server entry as written by a user (defaults not yet applied), see {@link McpServerConfig}. */
export type McpServerConfigInput = z.input<typeof McpServerConfig>;

/** A server name, see {@link MCP_SERVER_NAME_PATTERN}. */
export const McpServerName = z
  .string()
  .regex(MCP_SERVER_NAME_PATTERN, SERVER_NAME_RULE);

/**
 * The `mcp` section of `agentd.yaml`: `{ servers: { <name>: McpServerConfig } }`, `servers` defaults to `{}`.
 * Tools of server `<name>` reach the model as `<name>__<tool>`.
 */
export const McpConfig = z.strictObject({
  servers: z
    .record(McpServerName, McpServerConfig, {
      error: (issue) => (issue.code === "invalid_key" ? SERVER_NAME_RULE : undefined),
    })
    .default({}),
});
/** The validated `mcp` config section, see {@link McpConfig}. */
export type McpConfig = z.output<typeof McpConfig>;

/** True for a stdio server entry (it has `command`), false for streamable HTTP (it has `url`). */
export function isStdioConfig(cfg: McpServerConfig): cfg is Extract<McpServerConfig, { command: string }> {
  return "command" in cfg;
}
