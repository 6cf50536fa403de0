import type { Context } from "hono";
import { httpStatusOf } from "../../../protocol/errors.js";
import { toWireError } from "../../errors.js";

/** OpenAI error `type` by HTTP status (what the `openai` SDKs map to their error classes by status anyway). */
function typeOf(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 429) return "rate_limit_error";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

/**
 * Renders an error of a `/v1/*` route in OpenAI's shape and status: `{ error: { message, type, param, code } }`.
 * `code` is agentd's wire code, except `invalid_api_key` (401) and `model_not_found` (404 for `model`);
 * `param` names the bad field when there is one.
 */
export function openAiErrorResponse(c: Context, err: unknown): Response {
  const wire = toWireError(err);
  const status = httpStatusOf[wire.code];
  const path = typeof wire.details?.path === "string" ? wire.details.path.replace(/^body\.?/, "") || null : null;
  let code: string = wire.code;
  if (wire.code === "unauthorized") code = "invalid_api_key";
  else if (wire.code === "not_found" && path === "model") code = "model_not_found";
  return c.json({ error: { message: wire.message, type: typeOf(status), param: path, code } }, status as 400);
}
