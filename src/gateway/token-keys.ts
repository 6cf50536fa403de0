import { timingSafeEqual } from "node:crypto";
import { keyIdOfToken, keyOfToken } from "../../protocol/handshake.js";
import type { Scope } from "../../protocol/scopes.js";

/** What a token may do (DESIGN.md §3, protocol/scopes.ts): `chat`, `read`, `vault`, `bridge`, `admin`. */
export type { Scope } from "../../protocol/scopes.js";

/**
 * A token the server knows, as the gateway needs it: a display `name`, the HMAC `key` of the handshake
 * (SHA-256 of the token, 32 bytes, see protocol/handshake.ts), its `scopes` and its `kind`: `owner`
 * (AGENTD_TOKEN, `admin`), `token` (a named token of `agentd token create`, stored hashed in SQLite) or `bridge`
 * (minted in memory for a supervised bridge). Never the token itself.
 */
export interface TokenKey {
  name: string;
  key: Buffer;
  scopes: readonly Scope[];
  kind: "owner" | "token" | "bridge";
}

/**
 * The one place the gateway looks tokens up (CONTRACTS.md A): by the `keyId` of a WebSocket `hello`
 * (challenge–response, the token never travels) or by the token of a REST `Authorization: Bearer` header
 * (also `/v1` and `/mcp`). Both return undefined for an unknown, revoked or expired token; implementations
 * compare in constant time where a secret is compared.
 */
export interface TokenKeys {
  byKeyId(keyId: string): TokenKey | undefined;
  byBearer(token: string | undefined): TokenKey | undefined;
}

/**
 * The owner's token (`AGENTD_TOKEN`, scopes `["admin"]`) as the only entry. `token` is read on every lookup, so
 * a restart in place that reloads `.env` is followed; the key and key id are derived once per token value.
 */
export function ownerTokenKeys(token: () => string): TokenKeys {
  let cached: { token: string; keyId: string; entry: TokenKey } | undefined;
  const current = () => {
    const t = token();
    if (cached?.token !== t) cached = { token: t, keyId: keyIdOfToken(t), entry: { name: "owner", key: keyOfToken(t), scopes: ["admin"], kind: "owner" } };
    return cached;
  };
  return {
    byKeyId: (keyId) => {
      const c = current();
      return c.keyId === keyId ? c.entry : undefined;
    },
    // one SHA-256 per request: the presented token's, compared in constant time with the key derived once
    byBearer: (presented) => {
      if (!presented) return undefined;
      const c = current();
      return timingSafeEqual(keyOfToken(presented), c.entry.key) ? c.entry : undefined;
    },
  };
}
