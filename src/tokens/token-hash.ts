import { createHash, randomBytes } from "node:crypto";

/** Prefix of tokens made by `agentd token create` (and minted for bridges), so a leaked one is recognisable in a scan. */
export const TOKEN_PREFIX = "agentd_";

/** A new random token: {@link TOKEN_PREFIX} + 32 random bytes in base64url (43 characters). */
export function newToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString("base64url");
}

/** The key of a token: SHA-256(token), 32 bytes. Stored instead of the token; the HMAC key of the handshake (CONTRACTS.md A). */
export function tokenKey(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

/** The key id of a token: the first 16 hex characters of SHA-256("agentd-key-id:" + token) (CONTRACTS.md A). */
export function tokenKeyId(token: string): string {
  return createHash("sha256").update(`agentd-key-id:${token}`).digest("hex").slice(0, 16);
}
