/**
 * Turning a wire error into the one short line a chat user sees (issue 6): never a stack, never the
 * server's message (which may name internals), only a fixed sentence per error code.
 */
import type { ErrorCode } from "./errors.js";

/** The line for each wire error code (codes: protocol/errors.ts). */
export const USER_ERROR_LINES: Readonly<Record<ErrorCode, string>> = {
  bad_request: "Sorry — I couldn't read that message.",
  unauthorized: "This bridge is not authorised with the agent.",
  forbidden: "This bridge is not allowed to do that with the agent.",
  unsupported_version: "This bridge needs updating to talk to the agent.",
  unknown_method: "This bridge needs updating to talk to the agent.",
  not_found: "Sorry — I couldn't find that.",
  conflict: "I'm still answering your last message — one moment.",
  payload_too_large: "That message is too long for me.",
  rate_limited: "Slow down a little — too many messages.",
  model_error: "Sorry — the model is unavailable right now.",
  timeout: "Sorry — that took too long. Please try again.",
  aborted: "Stopped.",
  unavailable: "Sorry — the model is unavailable right now.",
  storage_error: "Sorry — I couldn't save that. Please try again.",
  internal: "Sorry — something went wrong.",
};

/** The line for an unknown code, a missing error or anything that is not a wire error. */
export const DEFAULT_USER_ERROR = "Sorry — something went wrong.";

/**
 * The one short, friendly line to show a chat user for `error`: a wire error `{ code, message }` (only `code`
 * is used), or anything else (a thrown Error, a string, undefined), which gets {@link DEFAULT_USER_ERROR}.
 * The agent's message text and any stack are never included.
 */
export function userErrorLine(error: unknown): string {
  if (typeof error === "object" && error !== null && "code" in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === "string" && Object.hasOwn(USER_ERROR_LINES, code)) {
      return USER_ERROR_LINES[code as ErrorCode];
    }
  }
  return DEFAULT_USER_ERROR;
}
