import { timingSafeEqual } from "node:crypto";
import type { Scope } from "../../protocol/scopes.js";
import { newToken, tokenKey, tokenKeyId } from "../tokens/token-hash.js";
import type { TokenEntry, TokenKeys } from "./token-keys.js";

/**
 * The daemon's {@link TokenKeys}: the owner token (`AGENTD_TOKEN`, scope `admin`), tokens minted in memory for
 * this run of the daemon (one per supervised bridge, scope `bridge`; gone when the daemon stops) and the named
 * tokens of `agentd token create` (`named`, stored hashed in SQLite). Keys are compared in constant time.
 */
export class KeyRing implements TokenKeys {
  private readonly ownerEntry: TokenEntry;
  private readonly ownerKeyId: string;
  private readonly minted = new Map<string, TokenEntry>();

  constructor(ownerToken: string, private readonly named: TokenKeys) {
    this.ownerEntry = { name: "owner", key: tokenKey(ownerToken), scopes: ["admin"], kind: "owner" };
    this.ownerKeyId = tokenKeyId(ownerToken);
  }

  /** Mints a token held in memory only, e.g. `mint("bridge-telegram", ["bridge"])`; returns the token. */
  mint(name: string, scopes: readonly Scope[]): string {
    const token = newToken();
    this.minted.set(tokenKeyId(token), { name, key: tokenKey(token), scopes, kind: "bridge" });
    return token;
  }

  /** See {@link TokenKeys.byKeyId}. */
  byKeyId(keyId: string): TokenEntry | undefined {
    if (keyId === this.ownerKeyId) return this.ownerEntry;
    return this.minted.get(keyId) ?? this.named.byKeyId(keyId);
  }

  /** See {@link TokenKeys.byBearer}. */
  byBearer(token: string): TokenEntry | undefined {
    const keyId = tokenKeyId(token);
    const key = tokenKey(token);
    if (keyId === this.ownerKeyId) return timingSafeEqual(key, this.ownerEntry.key) ? this.ownerEntry : undefined;
    const minted = this.minted.get(keyId);
    if (minted) return timingSafeEqual(key, minted.key) ? minted : undefined;
    return this.named.byBearer(token);
  }
}
