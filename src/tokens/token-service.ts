import { timingSafeEqual } from "node:crypto";
import { z } from "zod";
import parseDuration from "ms";
import { Scope } from "../../protocol/scopes.js";
import { NotFoundError, ValidationError } from "../errors.js";
import type { TokenRows, TokenRow } from "../store/token-rows.js";
import { newToken } from "./token-hash.js";
import { keyIdOfToken, keyOfToken } from "../../protocol/handshake.js";

/** Token names: 1..64 of letters, digits, `.`, `_`, `-` (they appear in logs and `agentd token ls`). */
export const TokenName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "letters, digits, '.', '_' or '-', at most 64, not starting with '.', '_' or '-'");

/** A named token as `agentd token ls` and `GET /api/tokens` show it: never the token itself. Times are ISO 8601 UTC. */
export const TokenInfo = z.strictObject({
  name: z.string(),
  scopes: z.array(Scope),
  createdAt: z.string(),
  expiresAt: z.string().nullable().describe("null: never expires"),
  lastUsedAt: z.string().nullable().describe("last accepted use, to the minute; null: never used"),
  expired: z.boolean(),
});
/** See {@link TokenInfo}. */
export type TokenInfo = z.infer<typeof TokenInfo>;

/** Body of `POST /api/tokens` (and the arguments of `agentd token create`). `expires`: a duration like `30d`, `12h`, `2w`. */
export const TokenCreateParams = z.strictObject({
  name: TokenName,
  scopes: z.array(Scope).min(1).max(5),
  expires: z.string().max(32).optional().describe("lifetime, e.g. 30d, 12h, 2w (ms package syntax); absent: never expires"),
});

/** The answer to a token creation: the token (shown this once) and its {@link TokenInfo}. */
export const TokenCreated = z.strictObject({ token: z.string().describe("shown once; only SHA-256 of it is stored"), info: TokenInfo });

/** How often `lastUsedAt` is written for one token at most, in ms (one write per minute, not one per request). */
export const TOKEN_TOUCH_INTERVAL_MS = 60_000;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * Parses a token lifetime (`30d`, `12h`, `90m`, `2w`, `1y`; the `ms` package's syntax) into milliseconds.
 * Throws {@link ValidationError} (`details.path: "expires"`) for anything else or a lifetime under one minute.
 */
export function parseLifetimeMs(text: string): number {
  const ms = parseDuration(text as Parameters<typeof parseDuration>[0]) as number | undefined;
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 60_000) {
    throw new ValidationError(`expires: "${text}" is not a lifetime of a minute or more (e.g. 30d, 12h, 2w)`, { path: "expires" });
  }
  return ms;
}

/** A token entry as the gateway's lookup returns it (structurally `TokenEntry` of src/gateway/token-keys.ts). */
export interface TokenLookup {
  name: string;
  key: Buffer;
  scopes: readonly Scope[];
  kind: "token";
}

/**
 * The named tokens of an agent (issue 15), stored hashed in `agentd.db` (`api_tokens`): created with scopes and
 * an optional lifetime (the token is returned once and never stored), listed, revoked, and looked up by key id
 * (the handshake) or by the presented token (bearer). An expired token is kept (so `token ls` shows it) but never
 * matches. Used by the daemon and by `agentd token` (which opens the database directly, daemon running or not).
 */
export class TokenService {
  private readonly touched = new Map<string, number>();

  constructor(private readonly rows: TokenRows, private readonly now: () => number = Date.now) {}

  /**
   * Creates a token. Throws {@link ValidationError} for a bad name, scope or lifetime, `conflict` when the name is
   * taken. Returns the token (to show once) and its info.
   */
  create(input: z.input<typeof TokenCreateParams>): z.output<typeof TokenCreated> {
    const r = TokenCreateParams.safeParse(input);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      throw new ValidationError(`${issue.path.join(".") || "(root)"}: ${issue.message}`, { path: issue.path.join(".") || "(root)" });
    }
    const { name, expires } = r.data;
    const scopes = [...new Set(r.data.scopes)];
    const createdAt = this.now();
    const expiresAt = expires === undefined ? null : createdAt + parseLifetimeMs(expires);
    const token = newToken();
    this.rows.create({ name, keyId: keyIdOfToken(token), key: keyOfToken(token), scopes, createdAt, expiresAt });
    return { token, info: this.info(this.rows.get(name)!) };
  }

  /** Every named token, oldest first. */
  list(): TokenInfo[] {
    return this.rows.list().map((r) => this.info(r));
  }

  /** Revokes (deletes) the token `name`: it stops working at once. Throws {@link NotFoundError} when there is none. */
  revoke(name: string): void {
    if (!this.rows.delete(name)) throw new NotFoundError(`no token named "${name}"`, { name });
  }

  /** The live (not expired) token with key id `keyId`. */
  byKeyId(keyId: string): TokenLookup | undefined {
    const row = this.rows.getByKeyId(keyId);
    return row && this.live(row);
  }

  /** The live token `token` is (key compared in constant time), or undefined. Records its use once a minute. */
  byBearer(token: string | undefined): TokenLookup | undefined {
    if (!token) return undefined;
    const row = this.rows.getByKeyId(keyIdOfToken(token));
    if (!row || !timingSafeEqual(row.key, keyOfToken(token))) return undefined;
    const entry = this.live(row);
    if (entry) this.touch(row.name);
    return entry;
  }

  private live(row: TokenRow): TokenLookup | undefined {
    if (row.expiresAt !== null && row.expiresAt <= this.now()) return undefined;
    return { name: row.name, key: row.key, scopes: row.scopes, kind: "token" };
  }

  private touch(name: string): void {
    const now = this.now();
    if (now - (this.touched.get(name) ?? 0) < TOKEN_TOUCH_INTERVAL_MS) return;
    this.touched.set(name, now);
    try {
      this.rows.markUsed(name, now);
    } catch {
      // a busy database must not fail the request the token authorises
    }
  }

  private info(r: TokenRow): TokenInfo {
    return {
      name: r.name, scopes: r.scopes, createdAt: iso(r.createdAt)!, expiresAt: iso(r.expiresAt), lastUsedAt: iso(r.lastUsedAt),
      expired: r.expiresAt !== null && r.expiresAt <= this.now(),
    };
  }
}
