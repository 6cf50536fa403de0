import type { ErrorCode, WireError } from "../protocol/errors.js";

/**
 * Base class of every error agentd throws on purpose. Carries a wire {@link ErrorCode}, an optional
 * `details` object (e.g. `{ path: "models.default" }`) and whether a retry may succeed.
 * Messages never contain secrets or stack traces; {@link toWireError} is the only way errors leave the daemon.
 */
export class AgentdError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  readonly retryable: boolean | undefined;
  constructor(code: ErrorCode, message: string, opts: { details?: Record<string, unknown>; retryable?: boolean; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = opts.details;
    this.retryable = opts.retryable;
  }
}

/** Input failed validation; `details.path` is the dotted path of the bad field. Code `bad_request`. */
export class ValidationError extends AgentdError {
  constructor(message: string, details?: Record<string, unknown>) {
    super("bad_request", message, details ? { details } : {});
  }
}

/** The agent folder's configuration is invalid: `file`, `path` (key path) and `reason`. Exit code 78 (EX_CONFIG). */
export class ConfigError extends AgentdError {
  readonly file: string;
  readonly keyPath: string;
  readonly reason: string;
  constructor(file: string, keyPath: string, reason: string) {
    super("bad_request", `${file}: ${keyPath || "(root)"}: ${reason}`, { details: { file, path: keyPath, reason } });
    this.file = file;
    this.keyPath = keyPath;
    this.reason = reason;
  }
}

/** A thing that was asked for does not exist (session, note, model). Code `not_found`. */
export class NotFoundError extends AgentdError {
  constructor(message: string, details?: Record<string, unknown>) {
    super("not_found", message, details ? { details } : {});
  }
}

/** The state changed underneath the caller (ETag mismatch, already running). Code `conflict`. */
export class ConflictError extends AgentdError {
  constructor(message: string, details?: Record<string, unknown>) {
    super("conflict", message, details ? { details } : {});
  }
}

/**
 * The caller's token is valid but lacks the scope an operation declares (issue 15, protocol/scopes.ts).
 * `details`: `{ required, held, operation }`. Code `forbidden` (HTTP 403).
 */
export class ForbiddenError extends AgentdError {
  constructor(message: string, details?: Record<string, unknown>) {
    super("forbidden", message, details ? { details } : {});
  }
}

/** SQLite or the file system refused a write (busy, disk full). Nothing was half-written. Code `storage_error`. */
export class StorageError extends AgentdError {
  constructor(message: string, cause?: unknown) {
    super("storage_error", message, { retryable: true, cause });
  }
}

/** Turns any thrown value into a wire error. Unknown errors become `internal` with a generic message (no stack). */
export function toWireError(err: unknown): WireError {
  if (err instanceof AgentdError) {
    const out: WireError = { code: err.code, message: err.message };
    if (err.retryable !== undefined) out.retryable = err.retryable;
    if (err.details) out.details = err.details;
    return out;
  }
  return { code: "internal", message: "internal error" };
}
