import Database from "better-sqlite3";
import { existsSync, lstatSync } from "node:fs";
import { join } from "node:path";
import { INDEX_SCHEMA_VERSION } from "./index-db.js";
import { walkVault } from "./scan.js";

/**
 * How the vault index (`vault-index.db`, a derived cache) compares with the notes in `vault/`:
 * `missing` (no index file yet), `corrupt` (not a readable index of this version: `reason` says why), or
 * `checked` with the notes not indexed (`unindexed`), changed since indexed (`stale`: size or mtime differ, the
 * indexer's own test) and indexed but gone (`gone`), a few example paths each in `examples`.
 */
export type VaultIndexStatus =
  | { state: "missing" }
  | { state: "corrupt"; reason: string }
  | { state: "checked"; notes: number; unindexed: number; stale: number; gone: number; examples: string[] };

/** Compares `DIR/vault-index.db` with `DIR/vault/` read-only (safe while the daemon runs). Never throws. */
export function vaultIndexStatus(dir: string): VaultIndexStatus {
  const file = join(dir, "vault-index.db");
  if (!existsSync(file)) return { state: "missing" };
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const check = (db.pragma("quick_check") as Array<{ quick_check: string }>).map((r) => r.quick_check).join("; ");
    if (check !== "ok") return { state: "corrupt", reason: check };
    const version = db.pragma("user_version", { simple: true }) as number;
    if (version !== INDEX_SCHEMA_VERSION) return { state: "corrupt", reason: `index version ${version}, this agentd uses ${INDEX_SCHEMA_VERSION}` };
    const rows = db.prepare("SELECT path, size, mtime_ms AS mtimeMs FROM notes").all() as Array<{ path: string; size: number; mtimeMs: number }>;
    const known = new Map(rows.map((r) => [r.path, r]));
    const root = join(dir, "vault");
    let notes = 0;
    let unindexed = 0;
    let stale = 0;
    const examples: string[] = [];
    const seen = new Set<string>();
    for (const rel of walkVault(root)) {
      if (!rel.endsWith(".md")) continue;
      notes++;
      seen.add(rel);
      const row = known.get(rel);
      if (!row) {
        unindexed++;
        if (examples.length < 3) examples.push(rel);
        continue;
      }
      try {
        const st = lstatSync(join(root, ...rel.split("/")));
        if (st.size !== row.size || st.mtimeMs !== row.mtimeMs) {
          stale++;
          if (examples.length < 3) examples.push(rel);
        }
      } catch {
        /* vanished meanwhile */
      }
    }
    const goneList = [...known.keys()].filter((p) => !seen.has(p));
    for (const p of goneList) if (examples.length < 3) examples.push(p);
    return { state: "checked", notes, unindexed, stale, gone: goneList.length, examples };
  } catch (err) {
    return { state: "corrupt", reason: (err as Error).message };
  } finally {
    db?.close();
  }
}
