import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { fileURLToPath } from "node:url";
import { existsSync, readFileSync } from "node:fs";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { dirname, join } from "node:path";
import * as schema from "./schema.js";
import { StorageError } from "../errors.js";

/** The drizzle database type of the store. */
export type Db = BetterSQLite3Database<typeof schema>;

/** Finds the `drizzle/` migrations folder next to package.json, from the source tree or from `dist/`. */
function migrationsFolder(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, "drizzle");
    if (existsSync(join(candidate, "meta", "_journal.json"))) return candidate;
    dir = dirname(dir);
  }
  throw new StorageError("drizzle migrations folder not found (broken install?)");
}

/**
 * Opens (creating if needed) the SQLite database at `file` with WAL, foreign keys on, `synchronous=NORMAL`
 * (durable across process crashes, not across a power cut; WAL makes it safe,
 * https://www.sqlite.org/pragma.html#pragma_synchronous — writes that must survive a power cut await
 * `Store.durable()`, a group commit, src/store/wal-sync.ts)
 * and a busy timeout (5 s; the environment variable `AGENTD_DB_BUSY_TIMEOUT_MS` overrides it, for tests of a
 * locked database), then applies pending drizzle-kit migrations (none pending, see {@link schemaIsCurrent}: one
 * read of the journal and one query, instead of reading and hashing every migration file at each start). drizzle applies all pending migrations in one
 * transaction, so a failure leaves the database as it was; the error then names the migration that failed
 * (see {@link failedMigration}).
 * Throws {@link StorageError} when the file cannot be opened or migrated.
 */
export function openDb(file: string): { sqlite: Database.Database; db: Db } {
  let sqlite: Database.Database;
  try {
    sqlite = new Database(file);
    sqlite.pragma("journal_mode = WAL");
    sqlite.pragma("synchronous = NORMAL");
    sqlite.pragma("foreign_keys = ON");
    sqlite.pragma(`busy_timeout = ${busyTimeoutMs()}`);
  } catch (err) {
    throw new StorageError(`cannot open database ${file}: ${(err as Error).message}`, err);
  }
  const db = drizzle(sqlite, { schema });
  const folder = migrationsFolder();
  if (schemaIsCurrent(sqlite, folder)) return { sqlite, db };
  try {
    migrate(db, { migrationsFolder: folder });
  } catch (err) {
    let which: string | undefined;
    try {
      which = failedMigration(sqlite, folder);
    } catch {
      /* the diagnosis is best effort */
    }
    sqlite.close();
    const reason = which ? `migration ${which}` : (err as Error).message;
    throw new StorageError(`cannot migrate database ${file}: ${reason}; nothing was changed (the database is as it was before this start)`, err);
  }
  return { sqlite, db };
}

/**
 * Whether no migration of `folder` is pending in the database, by drizzle's own rule (its SQLite `migrate` applies
 * each migration whose journal time `when` is later than the `created_at` of the newest row of
 * `__drizzle_migrations`): the newest `when` of `meta/_journal.json` is not later than that row. False when the
 * table or the journal cannot be read (a new database), so `migrate` then decides as before.
 */
export function schemaIsCurrent(sqlite: Database.Database, folder: string): boolean {
  try {
    const journal = JSON.parse(readFileSync(join(folder, "meta", "_journal.json"), "utf8")) as { entries: Array<{ when: number }> };
    const newest = Math.max(...journal.entries.map((e) => e.when));
    const applied = sqlite.prepare('SELECT created_at FROM "__drizzle_migrations" ORDER BY created_at DESC LIMIT 1').pluck().get();
    return applied !== undefined && applied !== null && Number.isFinite(newest) && newest <= Number(applied);
  } catch {
    return false;
  }
}

/**
 * Finds which pending migration fails, after drizzle's `migrate` failed and rolled back: replays the pending
 * migrations (those newer than the last applied, as drizzle decides) in one transaction that is always rolled back,
 * and returns `<tag>: <SQLite's error>` of the first that throws (tags from `meta/_journal.json`).
 */
export function failedMigration(sqlite: Database.Database, folder: string): string | undefined {
  const journal = JSON.parse(readFileSync(join(folder, "meta", "_journal.json"), "utf8")) as { entries: Array<{ tag: string }> };
  const migrations = readMigrationFiles({ migrationsFolder: folder });
  let last = 0;
  try {
    last = Number(sqlite.prepare("SELECT max(created_at) FROM __drizzle_migrations").pluck().get() ?? 0);
  } catch {
    /* no table yet: every migration is pending */
  }
  sqlite.exec("BEGIN");
  try {
    for (const [i, m] of migrations.entries()) {
      if (m.folderMillis <= last) continue;
      try {
        for (const stmt of m.sql) if (stmt.trim()) sqlite.exec(stmt);
      } catch (err) {
        return `${journal.entries[i]?.tag ?? `#${i}`}: ${(err as Error).message}`;
      }
    }
    return undefined;
  } finally {
    sqlite.exec("ROLLBACK");
  }
}

function busyTimeoutMs(): number {
  const v = Number(process.env.AGENTD_DB_BUSY_TIMEOUT_MS || Number.NaN);
  return Number.isInteger(v) && v >= 0 ? v : 5000;
}

/** Runs `fn` and turns SQLite's busy/full/IO errors into a {@link StorageError}; a transaction inside rolls back whole. */
export function guardStorage<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const code = (err as { code?: string }).code ?? "";
    if (code.startsWith("SQLITE_")) throw new StorageError(`could not ${what}: ${code}`, err);
    throw err;
  }
}
