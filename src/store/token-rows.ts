import type Database from "better-sqlite3";
import { guardStorage } from "./db.js";
import { ConflictError } from "../errors.js";

/** A stored API token (see the `api_tokens` table): never the token itself, only its key and key id. */
export interface TokenRow {
  name: string;
  keyId: string;
  /** SHA-256(token), 32 bytes. */
  key: Buffer;
  /** Scope names. */
  scopes: string[];
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
}

interface RawRow extends Omit<TokenRow, "scopes"> {
  scopes: string;
}

const COLS = `"name", "key_id" AS "keyId", "key", "scopes", "created_at" AS "createdAt", "expires_at" AS "expiresAt", "last_used_at" AS "lastUsedAt"`;
const parse = (r: RawRow | undefined): TokenRow | undefined => r && { ...r, scopes: JSON.parse(r.scopes) as string[] };

/**
 * SQL of the named API tokens (`api_tokens`) and of session ownership (`session_owners`), issue 15. Prepared
 * once; every call is synchronous (better-sqlite3). Writes throw `StorageError` when SQLite refuses them.
 */
export class TokenRows {
  private readonly byName: Database.Statement;
  private readonly byKey: Database.Statement;
  private readonly all: Database.Statement;
  private readonly insert: Database.Statement;
  private readonly remove: Database.Statement;
  private readonly touch: Database.Statement;
  private readonly ownerOf: Database.Statement;
  private readonly setOwner: Database.Statement;

  constructor(sqlite: Database.Database) {
    this.byName = sqlite.prepare(`SELECT ${COLS} FROM "api_tokens" WHERE "name" = ?`);
    this.byKey = sqlite.prepare(`SELECT ${COLS} FROM "api_tokens" WHERE "key_id" = ?`);
    this.all = sqlite.prepare(`SELECT ${COLS} FROM "api_tokens" ORDER BY "created_at", "name"`);
    this.insert = sqlite.prepare(`INSERT INTO "api_tokens" ("name", "key_id", "key", "scopes", "created_at", "expires_at") VALUES (?, ?, ?, ?, ?, ?)`);
    this.remove = sqlite.prepare(`DELETE FROM "api_tokens" WHERE "name" = ?`);
    this.touch = sqlite.prepare(`UPDATE "api_tokens" SET "last_used_at" = ? WHERE "name" = ?`);
    this.ownerOf = sqlite.prepare(`SELECT "token_name" AS "tokenName" FROM "session_owners" WHERE "session_id" = ?`);
    this.setOwner = sqlite.prepare(`INSERT OR IGNORE INTO "session_owners" ("session_id", "token_name") VALUES (?, ?)`);
  }

  /** The token named `name`, or undefined. */
  get(name: string): TokenRow | undefined {
    return parse(this.byName.get(name) as RawRow | undefined);
  }

  /** The token whose key id is `keyId`, or undefined. */
  getByKeyId(keyId: string): TokenRow | undefined {
    return parse(this.byKey.get(keyId) as RawRow | undefined);
  }

  /** Every token, oldest first. */
  list(): TokenRow[] {
    return (this.all.all() as RawRow[]).map((r) => parse(r)!);
  }

  /** Stores a new token. Throws {@link ConflictError} when the name (or, astronomically unlikely, the key id) is taken. */
  create(row: Omit<TokenRow, "lastUsedAt">): void {
    guardStorage("store the token", () => {
      try {
        this.insert.run(row.name, row.keyId, row.key, JSON.stringify(row.scopes), row.createdAt, row.expiresAt);
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
    return guardStorage("revoke the token", () => this.remove.run(name).changes > 0);
  }

  /** Records when a token was last used (epoch ms). */
  markUsed(name: string, atMs: number): void {
    guardStorage("record the token's use", () => this.touch.run(atMs, name));
  }

  /** The name of the token that created session `sessionId`, or undefined (the owner, a bridge, the web app). */
  sessionOwner(sessionId: string): string | undefined {
    return (this.ownerOf.get(sessionId) as { tokenName: string } | undefined)?.tokenName;
  }

  /** Records that token `tokenName` created session `sessionId` (a no-op when the session has an owner). */
  setSessionOwner(sessionId: string, tokenName: string): void {
    guardStorage("record the session's owner", () => this.setOwner.run(sessionId, tokenName));
  }
}
