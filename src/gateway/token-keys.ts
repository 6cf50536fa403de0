import { keyIdOfToken, keyOfToken } from "../../protocol/handshake.js";
import { tokenMatches } from "./auth.js";

/**
 * What a token may do (DESIGN.md §3): `chat`, `read`, `vault`, `bridge`, `admin`. The owner token is `admin`.
 * Only the owner token exists for now; scoped tokens plug in behind {@link TokenKeys}.
 */
export type Scope = "chat" | "read" | "vault" | "bridge" | "admin";

/**
 * A token the server knows, as the gateway needs it: a display `name`, the HMAC `key` of the handshake
 * (SHA-256 of the token, 32 bytes, see protocol/handshake.ts) and its `scopes`. Never the token itself.
 */
export interface TokenKey {
  name: string;
  key: Buffer;
  scopes: Scope[];
}

/**
 * The one place the gateway looks tokens up (CONTRACTS.md A): by the `keyId` of a WebSocket `hello`
 * (challenge–response, the token never travels) or by the token of a REST `Authorization: Bearer` header.
 * Both return undefined for an unknown token; implementations compare in constant time where a secret is
 * compared.
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
    if (cached?.token !== t) cached = { token: t, keyId: keyIdOfToken(t), entry: { name: "owner", key: keyOfToken(t), scopes: ["admin"] } };
    return cached;
  };
  return {
    byKeyId: (keyId) => {
      const c = current();
      return c.keyId === keyId ? c.entry : undefined;
    },
    byBearer: (presented) => {
      const c = current();
      return tokenMatches(c.token, presented) ? c.entry : undefined;
    },
  };
}
