import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { openDb, schemaIsCurrent } from "./db.js";

const MIGRATIONS = join(import.meta.dirname, "..", "..", "drizzle");
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "agentd-db-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("schemaIsCurrent", () => {
  it("is false for a new database, true once migrated, false again when the journal gains a newer migration", () => {
    const file = join(tmp(), "agentd.db");
    const fresh = new Database(file);
    expect(schemaIsCurrent(fresh, MIGRATIONS)).toBe(false);
    fresh.close();
    const { sqlite } = openDb(file);
    expect(schemaIsCurrent(sqlite, MIGRATIONS)).toBe(true);
    // a release that adds a migration: its journal entry is newer than the database's last applied one
    const folder = join(tmp(), "drizzle");
    cpSync(MIGRATIONS, folder, { recursive: true });
    const journalFile = join(folder, "meta", "_journal.json");
    const journal = JSON.parse(readFileSync(journalFile, "utf8")) as { entries: Array<{ idx: number; when: number; tag: string }> };
    const last = journal.entries.at(-1)!;
    journal.entries.push({ ...last, idx: last.idx + 1, when: last.when + 1, tag: "9999_next" });
    writeFileSync(journalFile, JSON.stringify(journal));
    writeFileSync(join(folder, "9999_next.sql"), "CREATE TABLE next_feature (id integer PRIMARY KEY);");
    expect(schemaIsCurrent(sqlite, folder)).toBe(false);
    sqlite.close();
  });

  it("a reopened current database keeps its rows and takes writes", () => {
    const file = join(tmp(), "agentd.db");
    openDb(file).sqlite.close();
    const { sqlite } = openDb(file);
    const tables = sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sessions'").pluck().all();
    expect(tables).toEqual(["sessions"]);
    expect(sqlite.prepare('SELECT count(*) FROM "__drizzle_migrations"').pluck().get()).toBeGreaterThanOrEqual(2);
    sqlite.close();
  });
});
