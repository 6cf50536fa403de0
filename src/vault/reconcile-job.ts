import { lstatSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import type { IndexDb, NoteRow } from "./index-db.js";
import type { NoteStore } from "./note-store.js";
import type { ParseFeed, PreparedNote } from "./reconcile-parse.js";
import type { LinkResolver } from "./resolve.js";
import { isFileAt } from "./paths.js";
import { walkVault } from "./scan.js";

/**
 * What a reconcile has to do, found by {@link ReconcilePlanner}: notes to read (new, or size/mtime changed),
 * indexed notes missing from disk, and attachments (non-`.md` files) that appeared or vanished.
 */
export interface ReconcilePlan {
  read: string[];
  gone: string[];
  filesAdded: string[];
  filesGone: string[];
}

/**
 * First half of a reconcile, cheap and read-only: walks the folder and stats every note; a note whose size and
 * mtime match the index is unchanged and not read (only added to the resolver). One {@link step} per entry.
 */
export class ReconcilePlanner {
  readonly plan: ReconcilePlan = { read: [], gone: [], filesAdded: [], filesGone: [] };
  unchanged = 0;
  private readonly root: string;
  private readonly resolver: LinkResolver;
  private readonly known = new Map<string, NoteRow>();
  private readonly knownFiles: Set<string>;
  private readonly seen = new Set<string>();
  private readonly walker: Generator<string>;

  constructor(index: IndexDb, resolver: LinkResolver, root: string) {
    this.root = root;
    this.resolver = resolver;
    for (const row of index.stmts.allNotes.iterate()) this.known.set(row.path, row);
    this.knownFiles = new Set(index.stmts.allFiles.all());
    this.walker = walkVault(root);
  }

  /** Looks at one folder entry; returns true when the walk is done and {@link plan} complete. */
  step(): boolean {
    const next = this.walker.next();
    if (next.done) {
      for (const p of this.known.keys()) if (!this.seen.has(p)) this.plan.gone.push(p);
      for (const p of this.knownFiles) if (!this.seen.has(p)) this.plan.filesGone.push(p);
      return true;
    }
    const rel = next.value;
    this.seen.add(rel);
    if (!rel.endsWith(".md")) {
      if (!this.knownFiles.has(rel)) this.plan.filesAdded.push(rel);
      return false;
    }
    const row = this.known.get(rel);
    if (!row) {
      this.plan.read.push(rel); // not indexed yet: read whatever its stat (a cold index stats nothing here)
      return false;
    }
    try {
      const st = lstatSync(join(this.root, ...rel.split("/")));
      if (row.size === st.size && row.mtimeMs === st.mtimeMs) {
        this.resolver.add(rel);
        this.unchanged++;
        return false;
      }
    } catch {
      // Vanished since the walk listed it: reading it will tell.
    }
    this.plan.read.push(rel);
    return false;
  }
}

/**
 * Second half of a reconcile: applies a {@link ReconcilePlan} (attachments, then notes to read — parsed only when
 * their hash changed —, then notes gone), and then re-resolves the stored links whose key any of that touched. Every path is
 * re-checked on disk, so a plan that went stale is harmless. All writes are "bulk": the runner owns the
 * transaction. One {@link step} per path or link.
 */
export class ReconcileApply {
  /** `removed`: notes dropped; `changed`: whether any note or attachment changed (then links were re-resolved). */
  readonly result = { removed: 0, changed: false };
  private readonly store: NoteStore;
  private readonly root: string;
  private readonly queue: { rel: string; what: "file" | "note" | "gone" }[];
  private readonly feed: Pick<ParseFeed, "take"> | undefined;
  /** Notes indexed out of turn ({@link syncNow}): what the parse worker read of them may be older. */
  private readonly syncedNow = new Set<string>();
  private readonly parsedBefore: number;
  private linkStep: (() => boolean) | undefined;
  /** An earlier job stopped before re-resolving its links: re-resolve all of them this time. */
  private readonly relinkAll: boolean;

  /** With a `feed`, the notes of `plan.read` come read and parsed from a parse worker (see {@link ParseFeed}). */
  constructor(store: NoteStore, root: string, plan: ReconcilePlan, feed?: Pick<ParseFeed, "take">) {
    this.store = store;
    this.root = root;
    this.feed = feed;
    this.parsedBefore = store.stats.notesParsed;
    this.queue = [
      ...[...plan.filesAdded, ...plan.filesGone].map((rel) => ({ rel, what: "file" as const })),
      ...plan.read.map((rel) => ({ rel, what: "note" as const })),
      ...plan.gone.map((rel) => ({ rel, what: "gone" as const })),
    ].reverse();
    // Known before they are parsed, so links between new notes resolve at insert (fewer updates at the end).
    // Links stored before this job (if any) may resolve differently now: their keys are re-resolved at the end,
    // with every key a bulk write touches meanwhile (an alias set, a note dropped, an attachment seen).
    const keys = new Set<string>();
    const before = store.hasLinks();
    for (const rel of plan.read) for (const key of store.resolver.add(rel)) if (before) keys.add(key);
    store.bulkKeys = keys;
    this.relinkAll = store.markLinksPending();
  }

  /**
   * Brings one note in step with the disk now, out of turn and not "bulk" (links of other notes that point to it
   * are re-resolved at once): for a write through agentd during a reconcile, which must be searchable when its
   * answer goes out. Must run inside the runner's transaction.
   */
  syncNow(rel: string): void {
    this.syncedNow.add(rel);
    const abs = join(this.root, ...rel.split("/"));
    try {
      if (rel.endsWith(".md")) this.syncNote(rel, abs, false);
      else if (this.store.setAttachment(rel, isFileAt(abs), false)) this.result.changed = true;
    } catch {
      // Unreadable right now: the main thread re-syncs every path written meanwhile when the reconcile ends.
    }
  }

  private syncNote(rel: string, abs: string, bulk = true): void {
    let st;
    try {
      st = lstatSync(abs);
    } catch {
      st = undefined;
    }
    if (!st || !st.isFile()) {
      if (this.store.drop(rel, bulk)) this.result.removed++;
      return;
    }
    const buf = readFileSync(abs);
    this.store.stats.filesRead++;
    this.store.upsert(rel, buf, st.size, st.mtimeMs, bulk);
  }

  /** Writes a note the parse worker prepared (see {@link PreparedNote}), as {@link syncNote} would have. */
  private applyPrepared(p: PreparedNote): void {
    if ("gone" in p) {
      if (this.store.drop(p.rel, true)) this.result.removed++;
    } else if ("note" in p) {
      this.store.stats.filesRead++;
      this.store.upsertParsed(p.rel, p.size, p.mtimeMs, p.hash, () => p.note, true);
    } // failed: unreadable right now, as below
  }

  /** Does one small unit of work; returns true when done. */
  step(): boolean {
    const item = this.queue.pop();
    if (item) {
      if (item.what === "note" && this.feed) {
        const prepared = this.feed.take(item.rel); // null: not parsed yet, read it here
        if (prepared !== null && !this.syncedNow.has(item.rel)) {
          this.applyPrepared(prepared);
          return false;
        }
      }
      const abs = join(this.root, ...item.rel.split("/"));
      try {
        if (item.what === "file") {
          if (this.store.setAttachment(item.rel, isFileAt(abs), true)) this.result.changed = true;
        } else {
          this.syncNote(item.rel, abs);
        }
      } catch {
        // Unreadable right now (permissions, vanished): the watcher or the next reconcile catches up.
      }
      return false;
    }
    if (!this.linkStep) {
      if (this.store.stats.notesParsed > this.parsedBefore || this.result.removed > 0) this.result.changed = true;
      const keys = this.store.bulkKeys ?? new Set<string>();
      this.store.bulkKeys = undefined;
      this.store.index.endBulkLoad(); // the key lookups below need links_key
      if (!this.result.changed && !this.relinkAll) {
        this.store.clearLinksPending();
        return true; // nothing changed: the stored resolutions are still right
      }
      // Only links whose key a change touched can resolve differently (the rule single-note writes follow).
      this.linkStep = this.relinkAll ? this.store.reresolveAllStep() : this.store.reresolveKeysStep(keys);
    }
    if (!this.linkStep()) return false;
    this.store.clearLinksPending();
    return true;
  }
}

/** Something that works in small steps; `step()` returns true when done. */
export interface Stepper {
  step(): boolean;
}

/**
 * Runs a job to the end without yielding (in a worker thread), committing every `commitEveryMs` so readers on
 * other connections see progress. Stops early (committing what is done) when `shouldStop()` turns true.
 * Every `checkEvery` steps (a power of 2, default 16) it checks that and calls `urgent()` (if given): work done
 * there is committed at once, then the callback it returned runs (e.g. to tell the main thread those writes are
 * visible). Returns whether it finished.
 */
export function runToEnd(
  job: Stepper,
  db: IndexDb,
  commitEveryMs: number,
  shouldStop: () => boolean,
  urgent?: () => (() => void) | undefined,
  checkEvery = 16,
): boolean {
  const mask = checkEvery - 1;
  let openedAt = performance.now();
  db.begin();
  try {
    for (let n = 0; ; n++) {
      if (job.step()) return true;
      if ((n & mask) === 0) {
        if (shouldStop()) return false;
        const afterCommit = urgent?.();
        if (afterCommit || performance.now() - openedAt > commitEveryMs) {
          db.commit();
          afterCommit?.();
          db.begin();
          openedAt = performance.now();
        }
      }
    }
  } finally {
    db.commit();
  }
}

/**
 * Runs a job on the main thread in time slices of `sliceMs`, yielding to the event loop in between. With a `db`,
 * slices share a transaction committed every `commitEveryMs` (a commit per slice would make FTS5 flush many tiny
 * segments); operations that run between slices join it as savepoints. Resolves whether it finished.
 */
export async function runSliced(
  job: Stepper,
  db: IndexDb | undefined,
  opts: { sliceMs: number; commitEveryMs: number; shouldStop: () => boolean },
): Promise<boolean> {
  let openedAt = 0;
  try {
    for (;;) {
      if (opts.shouldStop()) return false;
      if (db && !db.inTransaction) {
        db.begin();
        openedAt = performance.now();
      }
      const deadline = performance.now() + opts.sliceMs;
      while (performance.now() < deadline) if (job.step()) return true;
      if (db && performance.now() - openedAt > opts.commitEveryMs) db.commit();
      await yieldToLoop();
    }
  } finally {
    db?.commit();
  }
}
