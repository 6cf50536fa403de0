import { asc, eq } from "drizzle-orm";
import { guardStorage, type Db } from "./db.js";
import { apiTokens, sessionOwners } from "./schema.js";
import { p, placeholders, setTo } from "./placeholders.js";
import { builtOnFirstUse } from "./first-use.js";
import type { Scope } from "../../protocol/scopes.js";
import { ConflictError } from "../errors.js";

/** A stored API token (see the `api_tokens` table): never the token itself, only its key and key id. */
export interface TokenRow {
  name: string;
  keyId: string;
  /** SHA-256(token), 32 bytes. */
  key: Buffer;
  /** Scope names (validated on read). */
  scopes: Scope[];
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
}

/** The queries of tokens and session owners, each prepared once on its first use (drizzle's `.prepare()` with placeholders, {@link builtOnFirstUse}). */
function prepare(db: Db) {
  return builtOnFirstUse({
    byName: () => db.select().from(apiTokens).where(eq(apiTokens.name, p("name"))).prepare(),
    byKey: () => db.select().from(apiTokens).where(eq(apiTokens.keyId, p("keyId"))).prepare(),
    all: () => db.select().from(apiTokens).orderBy(asc(apiTokens.createdAt), asc(apiTokens.name)).prepare(),
    insert: () => db.insert(apiTokens).values(placeholders(apiTokens, ["lastUsedAt"])).prepare(),
    remove: () => db.delete(apiTokens).where(eq(apiTokens.name, p("name"))).prepare(),
    touch: () => db.update(apiTokens).set({ lastUsedAt: setTo<number>("at") }).where(eq(apiTokens.name, p("name"))).prepare(),
    ownerOf: () => db.select({ tokenName: sessionOwners.tokenName }).from(sessionOwners).where(eq(sessionOwners.sessionId, p("sessionId"))).prepare(),
    setOwner: () => db.insert(sessionOwners).values(placeholders(sessionOwners)).onConflictDoNothing().prepare(),
  });
}

/**
 * SQL of the named API tokens (`api_tokens`) and of session ownership (`session_owners`), issue 15. Prepared
 * once; every call is synchronous (better-sqlite3). Writes throw `StorageError` when SQLite refuses them.
 */
export class TokenRows {
  private readonly q: ReturnType<typeof prepare>;

  constructor(db: Db) {
    this.q = prepare(db);
  }

  /** The token named `name`, or undefined. */
  get(name: string): TokenRow | undefined {
    return this.q.byName.get({ name });
  }

  /** The token whose key id is `keyId`, or undefined. */
  getByKeyId(keyId: string): TokenRow | undefined {
    return this.q.byKey.get({ keyId });
  }

  /** Every token, oldest first. */
  list(): TokenRow[] {
    return this.q.all.all();
  }

  /** Stores a new token. Throws {@link ConflictError} when the name (or, astronomically unlikely, the key id) is taken. */
  create(row: Omit<TokenRow, "lastUsedAt">): void {
    guardStorage("store the token", () => {
      try {
        this.q.insert.run(row);
      } catch (err) {
        if ((err as { code?: string }).code === "SQLITE_CONSTRAINT_PRIMARYKEY" || (err as { code?: string }).code === "SQLITE_CONSTRAINT_UNIQUE") {
          throw new ConflictError(`a token named "${row.name}" exists already (revoke it first)`, { name: row.name });
        }
        throw err;
      }
    });
  }

  /** Deletes the token named `name`; returns whether there was one. */
  delete(name: string): boolean {
    return guardStorage("revoke the token", () => this.q.remove.run({ name }).changes > 0);
  }

  /** Records when a token was last used (epoch ms). */
  markUsed(name: string, atMs: number): void {
    guardStorage("record the token's use", () => this.q.touch.run({ at: atMs, name }));
  }

  /** The name of the token that created session `sessionId`, or undefined (the owner, a bridge, the web app). */
  sessionOwner(sessionId: string): string | undefined {
    return this.q.ownerOf.get({ sessionId })?.tokenName;
  }

  /** Records that token `tokenName` created session `sessionId` (a no-op when the session has an owner). */
  setSessionOwner(sessionId: string, tokenName: string): void {
    guardStorage("record the session's owner", () => this.q.setOwner.run({ sessionId, tokenName }));
  }
}
