import { AgentdError } from "../errors.js";

/**
 * A workspace path given to a file tool or `exec` leaves the workspace: absolute, with a `..` segment, or
 * through a symlink that points out. Code `bad_request`; `details.path` is the path as given.
 */
export class PathEscapeError extends AgentdError {
  constructor(path: string, why: string) {
    super("bad_request", `path "${path}" is refused: ${why}; use a path relative to the workspace`, { details: { path } });
  }
}

/**
 * `web_fetch` refused a URL: a scheme other than http(s), or a host that is (or resolves to) a private,
 * loopback or link-local address while `tools.web_fetch.allowPrivateNetwork` is off (SSRF protection,
 * OWASP SSRF Prevention Cheat Sheet). Code `bad_request`; `details.url`, and `details.address` when an address was refused.
 */
export class BlockedUrlError extends AgentdError {
  constructor(url: string, why: string, address?: string) {
    super("bad_request", `${url} is refused: ${why}`, { details: { url, ...(address ? { address } : {}) } });
  }
}
