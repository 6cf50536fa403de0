import { randomBytes } from "node:crypto";

/** Prefix of tokens made by `agentd token create` (and minted for bridges), so a leaked one is recognisable in a scan. */
export const TOKEN_PREFIX = "agentd_";

/**
 * A new random token: {@link TOKEN_PREFIX} + 32 random bytes in base64url (43 characters). Its key and key id
 * (what is stored and what the handshake names) come from protocol/handshake.ts (`keyOfToken`, `keyIdOfToken`).
 */
export function newToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString("base64url");
}
