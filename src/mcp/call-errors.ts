import { AgentdError } from "../errors.js";
import type { McpServerState } from "../../protocol/mcp.js";
import type { McpSdk } from "./sdk-loader.js";

/** A one-line error text: the message, plus the cause (e.g. `connect ECONNREFUSED …`) or the HTTP status. */
export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? err.cause.message : undefined;
  if (cause && !err.message.includes(cause)) return `${err.message} (${cause})`;
  const status = (err as { code?: unknown }).code;
  // The SDK's StreamableHTTPError keeps the status in `code`, not in its message.
  if (typeof status === "number" && err.message.startsWith("Streamable HTTP error")) return `${err.message} (HTTP ${status})`;
  return err.message;
}

/**
 * Maps a rejected MCP `tools/call` to the {@link AgentdError} the agent loop sees:
 * `aborted` (the signal fired), `timeout` (no answer within `timeoutMs`), `unavailable` (the connection
 * closed mid-call, or a transport failure: then `transportFailure` is true and the caller should check the
 * connection), `bad_request` (the server answered with a JSON-RPC error, e.g. unknown tool or bad arguments).
 */
export function mapCallError(
  err: unknown,
  ctx: { sdk: McpSdk; server: string; exposedName: string; timeoutMs: number; aborted: boolean; redact: (s: string) => string },
): { error: AgentdError; transportFailure: boolean } {
  const { sdk, server, exposedName } = ctx;
  if (ctx.aborted) return { error: new AgentdError("aborted", `MCP tool "${exposedName}" was aborted`), transportFailure: false };
  if (err instanceof sdk.McpError) {
    if (err.code === sdk.ErrorCode.RequestTimeout) {
      const error = new AgentdError("timeout", `MCP tool "${exposedName}" timed out after ${ctx.timeoutMs} ms`, { retryable: true });
      return { error, transportFailure: false };
    }
    if (err.code === sdk.ErrorCode.ConnectionClosed) {
      const error = new AgentdError("unavailable", `MCP server "${server}" disconnected during the call to "${exposedName}"`, { retryable: true });
      return { error, transportFailure: false };
    }
    return { error: new AgentdError("bad_request", `MCP tool "${exposedName}" failed: ${ctx.redact(err.message)}`), transportFailure: false };
  }
  const error = new AgentdError("unavailable", `MCP server "${server}" request failed: ${ctx.redact(errorText(err))}`, { retryable: true });
  return { error, transportFailure: true };
}

/**
 * The error for a call to a server that is not connected, e.g.
 * `MCP server "fs" is not connected (reconnecting in 2 s): server process exited`. Code `unavailable`.
 */
export function notConnectedError(s: {
  server: string;
  enabled: boolean;
  stopped: boolean;
  state: McpServerState;
  nextRetryAt: number | undefined;
  lastError: string | undefined;
}): AgentdError {
  if (!s.enabled) return new AgentdError("unavailable", `MCP server "${s.server}" is disabled`);
  if (s.stopped) return new AgentdError("unavailable", `MCP server "${s.server}" is stopped`);
  const when =
    s.nextRetryAt !== undefined
      ? `reconnecting in ${Math.max(1, Math.ceil((s.nextRetryAt - Date.now()) / 1000))} s`
      : s.state === "connecting" ? "connecting" : "reconnecting now";
  const why = s.lastError !== undefined ? `: ${s.lastError}` : "";
  return new AgentdError("unavailable", `MCP server "${s.server}" is not connected (${when})${why}`, {
    retryable: true,
    details: { server: s.server, state: s.state },
  });
}
