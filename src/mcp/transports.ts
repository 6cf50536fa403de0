import path from "node:path";
import type { Logger } from "pino";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { isStdioConfig, type McpServerConfig } from "../config/sections/mcp.js";
import type { McpSdk } from "./sdk-loader.js";

/** Most stderr lines of a stdio server kept to explain a failed start in `lastError`. */
const STDERR_TAIL_LINES = 3;
/** Longest stderr line logged or kept, in characters. */
const MAX_STDERR_LINE_CHARS = 500;

/** A transport for one connection attempt, with what the connection needs to know about it. */
export interface OpenedTransport {
  transport: Transport;
  /** Process id of the stdio child while it runs; `undefined` for HTTP or before spawn / after exit. */
  pid(): number | undefined;
  /** The last few stderr lines of a stdio child (redacted), `""` if none. */
  stderrTail(): string;
}

/**
 * Creates the transport for one connection attempt of an MCP server (not started: `Client.connect` starts it).
 * - stdio: `StdioClientTransport`; a relative `cwd`, and a `command` containing a path separator, resolve
 *   against `agentDir` (default cwd: `agentDir`); stderr is piped and logged line by line at debug level on
 *   `logger` (never to our stdout), secrets masked by `redact`.
 * - HTTP: `StreamableHTTPClientTransport` with `headers` on every request.
 */
export function createTransport(
  sdk: McpSdk,
  cfg: McpServerConfig,
  ctx: { agentDir: string; logger: Logger; redact: (s: string) => string },
): OpenedTransport {
  if (!isStdioConfig(cfg)) {
    const transport = new sdk.StreamableHTTPClientTransport(new URL(cfg.url), { requestInit: { headers: { ...cfg.headers } } });
    return { transport, pid: () => undefined, stderrTail: () => "" };
  }
  const command = /[\\/]/.test(cfg.command) ? path.resolve(ctx.agentDir, cfg.command) : cfg.command;
  const transport = new sdk.StdioClientTransport({
    command,
    args: cfg.args ?? [],
    env: { ...cfg.env },
    cwd: path.resolve(ctx.agentDir, cfg.cwd ?? "."),
    stderr: "pipe",
  });
  const tail: string[] = [];
  let partial = "";
  const onLine = (raw: string): void => {
    const line = ctx.redact(raw.trimEnd()).slice(0, MAX_STDERR_LINE_CHARS);
    if (line === "") return;
    ctx.logger.debug({ stream: "stderr" }, line);
    tail.push(line);
    if (tail.length > STDERR_TAIL_LINES) tail.shift();
  };
  transport.stderr?.on("data", (chunk: Buffer | string) => {
    const lines = (partial + chunk.toString()).split("\n");
    partial = lines.pop() ?? "";
    if (partial.length > MAX_STDERR_LINE_CHARS * 8) {
      lines.push(partial);
      partial = "";
    }
    for (const line of lines) onLine(line);
  });
  transport.stderr?.on("end", () => {
    if (partial !== "") onLine(partial);
    partial = "";
  });
  return { transport, pid: () => transport.pid ?? undefined, stderrTail: () => tail.join(" | ") };
}
