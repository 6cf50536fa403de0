import { z } from "zod";

/**
 * What a token may do (issue 15). The owner token (`AGENTD_TOKEN` in the agent folder's `.env`) is `admin`;
 * named tokens (`agentd token create NAME --scope chat,vault`) hold one or more of the others:
 * - `chat`: send messages and read its own sessions (those it created)
 * - `read`: read sessions, messages, the vault, usage, MCP and model status; no writes
 * - `vault`: read and write the vault
 * - `bridge`: what a platform bridge needs: chat with channel addresses, uploads (bridges started by
 *   `agentd start` get a token with only this scope)
 * - `admin`: everything, including config, models, tokens, logs, restart and update
 */
export const Scope = z.enum(["chat", "read", "vault", "bridge", "admin"]);
/** One scope, see {@link Scope}. */
export type Scope = z.infer<typeof Scope>;

/** Every scope, in the order of {@link Scope}. */
export const SCOPES: readonly Scope[] = Scope.options;

/**
 * The scope an operation (REST route, protocol method, MCP tool) declares: one scope, or a list meaning
 * "any one of these". `admin` always passes, so it never needs to be listed.
 */
export type ScopeRequirement = Scope | readonly Scope[];

/** Any valid token: the requirement of operations every scope may use (agent info, the OpenAPI document). */
export const ANY_SCOPE: readonly Scope[] = ["chat", "read", "vault", "bridge"];

/** The scopes of a requirement as a list (`"read"` → `["read"]`). */
export function requiredScopes(req: ScopeRequirement): readonly Scope[] {
  return typeof req === "string" ? [req] : req;
}

/** True when a holder of `held` may use an operation that declares `req` (`admin` passes everything). */
export function scopeAllows(held: readonly Scope[], req: ScopeRequirement): boolean {
  if (held.includes("admin")) return true;
  return requiredScopes(req).some((s) => held.includes(s));
}
