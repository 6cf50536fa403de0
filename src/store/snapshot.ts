import Database from "better-sqlite3";
import { StorageError } from "../errors.js";

/** Applied migrations and row counts of an agent database (what a backup's manifest records). */
export interface DbSummary {
  migrations: number;
  sessions: number;
  messages: number;
}

/**
 * Runs `PRAGMA quick_check` (https://www.sqlite.org/pragma.html#pragma_quick_check) on a database file, read-only.
 * Returns `"ok"` or SQLite's first complaint; a file that is not a database gives SQLite's error text
 * (e.g. "file is not a database").
 */
export function quickCheck(file: string): string {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const rows = db.pragma("quick_check") as Array<{ quick_check: string }>;
    return rows.map((r) => r.quick_check).slice(0, 3).join("; ") || "ok";
  } catch (err) {
    return (err as Error).message;
  } finally {
    db?.close();
  }
}

/** Applied drizzle migrations and the session and message counts of a database file (0 for missing tables). */
export function summarize(file: string): DbSummary {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const count = (sql: string) => (db.prepare(sql).pluck().get() as number | undefined) ?? 0;
    const has = (t: string) => count(`select count(*) from sqlite_master where name = '${t}'`) > 0;
    return {
      migrations: has("__drizzle_migrations") ? count("select count(*) from __drizzle_migrations") : 0,
      sessions: has("sessions") ? count("select count(*) from sessions") : 0,
      messages: has("messages") ? count("select count(*) from messages") : 0,
    };
  } finally {
    db.close();
  }
}

/**
 * Copies a database with SQLite's online backup API (https://www.sqlite.org/backup.html, through better-sqlite3):
 * a consistent snapshot while the daemon keeps writing. From another process (`conn` absent) the copy runs in one
 * step, i.e. one read transaction, so writers in other processes never restart it (WAL lets them go on); with the
 * daemon's own connection it copies 1,000 pages per step and yields between steps (that connection's writes are
 * carried into the copy). The copy is left in rollback-journal mode (one file, no `-wal`) and must pass {@link quickCheck}. Throws {@link StorageError} otherwise.
 */
export async function snapshotDatabase(source: string, dest: string, conn?: Database.Database): Promise<DbSummary> {
  const db = conn ?? new Database(source, { fileMustExist: true });
  try {
    if (!conn) db.pragma("busy_timeout = 10000");
    await db.backup(dest, { progress: () => (conn ? 1000 : 0x7fffffff) });
  } catch (err) {
    throw new StorageError(`cannot copy the database ${source}: ${(err as Error).message}`, err);
  } finally {
    if (!conn) db.close();
  }
  // one self-contained file: the copy inherits WAL mode from the source's header (the daemon turns it on again)
  const copy = new Database(dest);
  try {
    copy.pragma("journal_mode = DELETE");
  } finally {
    copy.close();
  }
  const check = quickCheck(dest);
  if (check !== "ok") throw new StorageError(`the copy of ${source} fails its integrity check: ${check}`);
  return summarize(dest);
}
