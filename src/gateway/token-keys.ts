import type { Scope } from "../../protocol/scopes.js";

/**
 * One token the daemon accepts, as the gateway sees it: its name, its key (SHA-256(token), 32 bytes: what a
 * bearer token hashes to, and the HMAC key of the WebSocket handshake, CONTRACTS.md A) and its scopes.
 * `kind`: `owner` (AGENTD_TOKEN), `token` (a named token of `agentd token create`), `bridge` (minted at start for
 * a supervised bridge, held in memory only).
 */
export interface TokenEntry {
  name: string;
  key: Buffer;
  scopes: readonly Scope[];
  kind: "owner" | "token" | "bridge";
}

/**
 * The ONE interface through which the gateway looks a token up (REST bearer, `/v1`, `/mcp`, the WebSocket
 * handshake). `byKeyId` finds the entry of a key id (first 16 hex characters of SHA-256("agentd-key-id:" + token));
 * `byBearer` finds the entry of a presented token, comparing keys in constant time. Both return undefined for an
 * unknown, revoked or expired token.
 */
export interface TokenKeys {
  byKeyId(keyId: string): TokenEntry | undefined;
  byBearer(token: string): TokenEntry | undefined;
}
