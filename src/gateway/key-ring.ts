import { timingSafeEqual } from "node:crypto";
import { keyIdOfToken, keyOfToken } from "../../protocol/handshake.js";
import type { Scope } from "../../protocol/scopes.js";
import { newToken } from "../tokens/token-hash.js";
import type { TokenKey, TokenKeys } from "./token-keys.js";

/**
 * The daemon's {@link TokenKeys}: the owner token (`owner`, e.g. {@link ownerTokenKeys}), tokens minted in memory
 * for this run of the daemon (one per supervised bridge, scope `bridge`; gone when the daemon stops) and the named
 * tokens of `agentd token create` (`named`, stored hashed in SQLite), looked up in that order. Keys are compared
 * in constant time.
 */
export class KeyRing implements TokenKeys {
  private readonly minted = new Map<string, TokenKey>();

  constructor(private readonly owner: TokenKeys, private readonly named: TokenKeys) {}

  /** Mints a token held in memory only, e.g. `mint("bridge-telegram", ["bridge"])`; returns the token. */
  mint(name: string, scopes: readonly Scope[]): string {
    const token = newToken();
    this.minted.set(keyIdOfToken(token), { name, key: keyOfToken(token), scopes, kind: "bridge" });
    return token;
  }

  /** See {@link TokenKeys.byKeyId}. */
  byKeyId(keyId: string): TokenKey | undefined {
    return this.owner.byKeyId(keyId) ?? this.minted.get(keyId) ?? this.named.byKeyId(keyId);
  }

  /** See {@link TokenKeys.byBearer}. */
  byBearer(token: string | undefined): TokenKey | undefined {
    if (!token) return undefined;
    const owner = this.owner.byBearer(token);
    if (owner) return owner;
    const minted = this.minted.get(keyIdOfToken(token));
    if (minted) return timingSafeEqual(keyOfToken(token), minted.key) ? minted : undefined;
    return this.named.byBearer(token);
  }
}
