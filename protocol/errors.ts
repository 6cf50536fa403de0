import { z } from "zod";

/**
 * The closed set of wire error codes (DESIGN.md §3). Every error a client can see carries one of these.
 * - `bad_request`: a frame or body failed validation (`details.path` names the field)
 * - `unauthorized`: missing, wrong, revoked or expired token
 * - `forbidden`: the token is good but lacks the scope the operation declares (protocol/scopes.ts)
 * - `unsupported_version`: no protocol version in common with the client
 * - `unknown_method`: the method is not in the registry
 * - `not_found`, `conflict`, `payload_too_large`, `rate_limited`: as in HTTP
 * - `model_error`: the model provider failed (connection, 4xx/5xx, malformed stream)
 * - `timeout`, `aborted`: the run or call ran out of time or was stopped
 * - `unavailable`: a dependency (MCP server, index) is not ready; retry later
 * - `storage_error`: SQLite or the disk refused a write; nothing was half-written
 * - `internal`: a bug; the message never carries a stack or a secret
 */
export const ErrorCode = z.enum([
  "bad_request",
  "unauthorized",
  "forbidden",
  "unsupported_version",
  "unknown_method",
  "not_found",
  "conflict",
  "payload_too_large",
  "rate_limited",
  "model_error",
  "timeout",
  "aborted",
  "unavailable",
  "storage_error",
  "internal",
]);
/** One of the closed set of wire error codes, see {@link ErrorCode}. */
export type ErrorCode = z.infer<typeof ErrorCode>;

/** A wire error: `{ code, message, retryable?, details? }`. `message` is for humans and never holds a secret. */
export const WireError = z.strictObject({
  code: ErrorCode,
  message: z.string(),
  retryable: z.boolean().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
/** A wire error, see {@link WireError}. */
export type WireError = z.infer<typeof WireError>;

/** HTTP status for each wire error code, used by the REST layer so REST and WS never disagree. */
export const httpStatusOf: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  unsupported_version: 400,
  unknown_method: 404,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  model_error: 502,
  timeout: 504,
  aborted: 409,
  unavailable: 503,
  storage_error: 507,
  internal: 500,
};
