import { lstatSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import type Database from "better-sqlite3";
import type { NoteRow } from "./index-db.js";
import type { NoteStore } from "./note-store.js";
import { walkVault } from "./scan.js";

/** What a reconcile did: notes removed, and whether anything changed (notes parsed or removed, attachments). */
export interface ReconcileResult {
  removed: number;
  changed: boolean;
}

function existsAsFile(abs: string): boolean {
  try {
    return lstatSync(abs).isFile();
  } catch {
    return false;
  }
}

/**
 * One reconcile of the index with the vault folder, as a sequence of small steps (so it can run in time slices
 * or flat out in a worker). Phases: walk the folder (a note whose size and mtime match the index is not read;
 * the others are read, hashed, and parsed only when the hash changed), drop indexed notes gone from disk, then
 * re-resolve every stored link (skipped when nothing changed). All writes are "bulk": the runner owns the
 * transaction.
 */
export class ReconcileJob {
  readonly result: ReconcileResult = { removed: 0, changed: false };
  private readonly store: NoteStore;
  private readonly root: string;
  private readonly known = new Map<string, NoteRow>();
  private readonly knownFiles: Set<string>;
  private readonly parsedBefore: number;
  private readonly seen = new Set<string>();
  private readonly walker: Generator<string>;
  private phase: "walk" | "gone" | "links" = "walk";
  private gone: string[] = [];
  private linkStep: (() => boolean) | undefined;

  constructor(store: NoteStore, root: string) {
    this.store = store;
    this.root = root;
    for (const row of store.index.stmts.allNotes.iterate()) this.known.set(row.path, row);
    this.knownFiles = new Set(store.index.stmts.allFiles.all());
    this.parsedBefore = store.stats.notesParsed;
    this.walker = walkVault(root);
    store.stats.reconciles++;
  }

  private syncNote(rel: string, known: NoteRow | undefined): void {
    const abs = join(this.root, ...rel.split("/"));
    let st;
    try {
      st = lstatSync(abs);
    } catch {
      st = undefined;
    }
    if (!st || !st.isFile()) {
      if (this.store.drop(rel, true)) this.result.removed++;
      return;
    }
    if (known && known.size === st.size && known.mtimeMs === st.mtimeMs) {
      this.store.resolver.add(rel);
      this.store.stats.notesUnchanged++;
      return;
    }
    const buf = readFileSync(abs);
    this.store.stats.filesRead++;
    this.store.upsert(rel, buf, st.size, st.mtimeMs, true);
  }

  /** Does one small unit of work; returns true when the whole reconcile is done. */
  step(): boolean {
    if (this.phase === "walk") {
      const next = this.walker.next();
      if (next.done) {
        this.gone = [...this.known.keys(), ...this.knownFiles].filter((p) => !this.seen.has(p));
        this.phase = "gone";
        return false;
      }
      const rel = next.value;
      this.seen.add(rel);
      if (!rel.endsWith(".md")) {
        if (this.store.setAttachment(rel, true, true)) this.result.changed = true;
        return false;
      }
      try {
        this.syncNote(rel, this.known.get(rel));
      } catch {
        // Unreadable right now (permissions, vanished mid-walk): the watcher or the next reconcile catches up.
      }
      return false;
    }
    if (this.phase === "gone") {
      const rel = this.gone.pop();
      if (rel !== undefined) {
        try {
          if (!rel.endsWith(".md")) this.store.setAttachment(rel, existsAsFile(join(this.root, ...rel.split("/"))), true);
          else this.syncNote(rel, undefined);
        } catch {
          // as above
        }
        return false;
      }
      if (this.store.stats.notesParsed > this.parsedBefore || this.result.removed > 0) this.result.changed = true;
      // Nothing changed: the stored resolutions are still right.
      if (!this.result.changed) return true;
      this.phase = "links";
      this.linkStep = this.store.reresolveAllStep();
      return false;
    }
    return this.linkStep!();
  }
}

/**
 * Runs a job to the end without yielding (in a worker thread), committing every `commitEveryMs` so readers on
 * other connections see progress. Stops early (committing what is done) when `shouldStop()` turns true.
 */
export function runToEnd(job: ReconcileJob, db: Database.Database, commitEveryMs: number, shouldStop: () => boolean): boolean {
  let openedAt = performance.now();
  db.exec("BEGIN");
  try {
    for (let n = 0; ; n++) {
      if (job.step()) return true;
      if ((n & 63) === 0) {
        if (shouldStop()) return false;
        if (performance.now() - openedAt > commitEveryMs) {
          db.exec("COMMIT");
          db.exec("BEGIN");
          openedAt = performance.now();
        }
      }
    }
  } finally {
    if (db.inTransaction) db.exec("COMMIT");
  }
}

/**
 * Runs a job on the main thread in time slices of `sliceMs`, yielding to the event loop in between. Slices share
 * a transaction committed every `commitEveryMs` (a commit per slice would make FTS5 flush many tiny segments);
 * operations that run between slices join it as savepoints. Resolves false when stopped early.
 */
export async function runSliced(
  job: ReconcileJob,
  db: Database.Database,
  opts: { sliceMs: number; commitEveryMs: number; shouldStop: () => boolean },
): Promise<boolean> {
  let openedAt = 0;
  try {
    for (;;) {
      if (opts.shouldStop()) return false;
      if (!db.inTransaction) {
        db.exec("BEGIN");
        openedAt = performance.now();
      }
      const deadline = performance.now() + opts.sliceMs;
      while (performance.now() < deadline) if (job.step()) return true;
      if (performance.now() - openedAt > opts.commitEveryMs) db.exec("COMMIT");
      await yieldToLoop();
    }
  } finally {
    if (db.open && db.inTransaction) db.exec("COMMIT");
  }
}
