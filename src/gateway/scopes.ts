import { scopeAllows, requiredScopes, type ScopeRequirement } from "../../protocol/scopes.js";
import { AgentdError, ForbiddenError } from "../errors.js";
import type { Principal } from "../feature.js";

export type { Principal } from "../feature.js";

/** The owner token's principal (`AGENTD_TOKEN`): `admin`. */
export const OWNER: Principal = { name: "owner", scopes: ["admin"], kind: "owner" };

/**
 * THE scope check of the gateway (issue 15: "checked in one place"): REST routes ({@link Router}), protocol
 * methods ({@link MethodRegistry}, so WebSocket, REST, `/v1` and `/mcp` calls) and MCP tools all call it with the
 * requirement they declare, before their input is validated. Throws `unauthorized` (401) without a principal and
 * {@link ForbiddenError} (403, `details: { operation, required, held }`) when the principal lacks the scope.
 */
export function authorize(principal: Principal | undefined, required: ScopeRequirement, operation: string): Principal {
  if (!principal) throw new AgentdError("unauthorized", "missing or wrong bearer token");
  if (!scopeAllows(principal.scopes, required)) {
    const need = requiredScopes(required);
    throw new ForbiddenError(`${operation} needs a token with the ${need.map((s) => `"${s}"`).join(" or ")} scope (this token has ${principal.scopes.join(", ")})`, {
      operation, required: [...need], held: [...principal.scopes],
    });
  }
  return principal;
}

/**
 * True when the principal may see every session (`read`, `bridge` or `admin`); a token with only `chat` sees
 * the sessions it created (`session_owners`).
 */
export function seesAllSessions(principal: Principal): boolean {
  return scopeAllows(principal.scopes, ["read", "bridge"]);
}

/** True when the principal may post into any session (`bridge` or `admin`); others only into their own. */
export function writesAllSessions(principal: Principal): boolean {
  return scopeAllows(principal.scopes, ["bridge"]);
}
