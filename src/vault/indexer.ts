import { lstatSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import { MERGE_PENDING, type IndexDb } from "./index-db.js";
import { NoteStore, warmUpNoteParsing, type IndexerStats } from "./note-store.js";
import { isFileAt, isHiddenRel } from "./paths.js";
import { ReconcileApply, ReconcilePlanner, runSliced, type ReconcilePlan } from "./reconcile-job.js";
import { PARSE_WORKER_MIN_NOTES } from "./reconcile-parse.js";
import { ReconcileWorkerRun, reconcileWorkerUrl } from "./reconcile-worker-run.js";
import type { LinkResolver } from "./resolve.js";
import type { IndexerOptions, VaultChange } from "./types.js";

/**
 * Keeps the index in step with the vault folder, on the main thread's connection. Each single-note operation is
 * synchronous (stat, read, hash, parse only when the hash changed, one transaction), so the newest state on
 * disk always wins whatever order API writes and watcher events come in.
 *
 * The start-up {@link reconcile} walks and stats the folder here in time slices, then reads and indexes what
 * changed: here too when it is little, in a worker thread with its own connection when it is a lot (a cold
 * index of 10,000 notes takes about 2-3 s there, without touching the event loop; readers here see its commits
 * as it goes; with {@link IndexerOptions.parseWorkerMinNotes} notes or more, a second worker reads and parses
 * them while the first writes). While the worker runs, this side does not write to the index at all (that would wait for the
 * worker's write lock): paths touched by API writes and the watcher are remembered and re-synced from disk when
 * the worker is done. API writes are also sent to the worker, which indexes them out of turn within a few steps
 * and says so; {@link settled} resolves once every API write is in the index, so a write through agentd can be
 * answered only when search and backlinks see it. If the worker cannot start, the plan is applied here in time
 * slices.
 */
export class Indexer {
  readonly stats: IndexerStats;
  private readonly store: NoteStore;
  private readonly root: string;
  private readonly indexDbPath: string;
  private readonly logger: Logger;
  private readonly onChange: (change: VaultChange) => void;
  private readonly opts: Required<IndexerOptions>;
  private readonly resolver: LinkResolver;
  private readonly stopFlag = new Int32Array(new SharedArrayBuffer(4));
  private deferred: Set<string> | undefined;
  /** While the worker runs: where API writes are sent to it, and those it has not yet confirmed. */
  private urgent: ReconcileWorkerRun | undefined;
  /** The worker's background work after its index is complete (the FTS5 merge), and the clean-up after it. */
  private background: Promise<void> = Promise.resolve();
  /** True between the worker's `indexed` and the end of deferring (its background work). */
  private inBackground = false;
  private readonly unconfirmed = new Set<string>();
  private settledWaiters: Array<() => void> = [];
  private aborted = false;

  constructor(
    root: string,
    index: IndexDb,
    indexDbPath: string,
    resolver: LinkResolver,
    logger: Logger,
    onChange: (change: VaultChange) => void,
    opts: IndexerOptions = {},
  ) {
    this.root = root;
    this.indexDbPath = indexDbPath;
    this.store = new NoteStore(index, resolver);
    this.resolver = resolver;
    this.stats = this.store.stats;
    this.logger = logger;
    this.onChange = onChange;
    this.opts = {
      workerMinNotes: opts.workerMinNotes ?? 250,
      parseWorkerMinNotes: opts.parseWorkerMinNotes ?? PARSE_WORKER_MIN_NOTES,
      sliceMs: opts.sliceMs ?? 8,
      commitEveryMs: opts.commitEveryMs ?? 0,
    };
  }

  /** Loads note paths and aliases from the index into the resolver (links resolve before the reconcile ends). */
  loadResolver(): void {
    this.store.loadResolver();
  }

  /** Asks a running {@link reconcile} to stop soon (before the index is closed). */
  abort(): void {
    this.aborted = true;
    Atomics.store(this.stopFlag, 0, 1);
  }

  /**
   * Resolves once every note written or deleted through the API (`source: "api"`) is in the index: at once,
   * unless a reconcile runs in the worker thread; then when the worker has indexed them (within a few of its
   * steps) or, at the latest, when it ends. Never rejects.
   */
  settled(): Promise<void> {
    if (this.unconfirmed.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  /**
   * Whether the worker still owns the index. Once its index is complete and it has closed its connection (known
   * from shared memory before its `exit` event is handled), deferring ends here and now, so a write after the
   * merge is indexed at once on this thread.
   */
  private get deferring(): boolean {
    if (this.inBackground && this.urgent?.closedIndex) this.endDeferred(this.urgent.sentAfterIndexed);
    return this.deferred !== undefined;
  }

  /** Defers a path while the worker runs; an API write also goes to the worker at once (see {@link settled}). */
  private defer(rel: string, source: VaultChange["source"]): void {
    this.deferred!.add(rel);
    if (source !== "api" || !this.urgent) return;
    this.unconfirmed.add(rel);
    this.urgent.send(rel);
  }

  private confirm(rels: Iterable<string>, emit: boolean): void {
    for (const rel of rels) {
      if (!this.unconfirmed.delete(rel) || !emit) continue;
      this.onChange({ path: rel, kind: isFileAt(join(this.root, ...rel.split("/"))) ? "upsert" : "delete", source: "api", durationMs: 0 });
    }
    if (this.unconfirmed.size > 0) return;
    for (const resolve of this.settledWaiters.splice(0)) resolve();
  }

  /** Indexes a note from bytes the caller just wrote (API writes do not wait for the watcher). */
  indexBytes(rel: string, buf: Buffer, size: number, mtimeMs: number, source: VaultChange["source"]): void {
    if (this.deferring) {
      this.resolver.add(rel);
      this.defer(rel, source);
      return;
    }
    const t0 = performance.now();
    if (this.store.upsertTx(rel, buf, size, mtimeMs)) this.onChange({ path: rel, kind: "upsert", source, durationMs: performance.now() - t0 });
  }

  /** Removes a note from the index (after the caller deleted it). */
  remove(rel: string, source: VaultChange["source"]): void {
    if (this.deferring) {
      this.resolver.remove(rel);
      this.defer(rel, source);
      return;
    }
    const t0 = performance.now();
    if (this.store.dropTx(rel)) this.onChange({ path: rel, kind: "delete", source, durationMs: performance.now() - t0 });
  }

  /**
   * Brings one vault path in step with the disk, whatever happened to it (created, edited, deleted, replaced by
   * a folder): a note is read and hashed and re-parsed only when the hash changed; an attachment (non-`.md`
   * file) only updates the link resolver. Hidden paths and symlinks count as absent.
   */
  syncPath(rel: string, source: VaultChange["source"] = "watcher"): void {
    if (rel === "" || isHiddenRel(rel)) return;
    if (this.deferring) {
      this.deferred!.add(rel);
      return;
    }
    const abs = join(this.root, ...rel.split("/"));
    let st;
    try {
      st = lstatSync(abs);
    } catch {
      st = undefined;
    }
    const exists = st !== undefined && st.isFile();
    if (!rel.endsWith(".md")) {
      this.store.setAttachmentTx(rel, exists);
      return;
    }
    if (!exists) return this.remove(rel, source);
    let buf: Buffer;
    try {
      buf = readFileSync(abs);
    } catch (err) {
      this.logger.debug({ path: rel, err: (err as Error).message }, "vault: cannot read note");
      return;
    }
    this.stats.filesRead++;
    this.indexBytes(rel, buf, st!.size, st!.mtimeMs, source);
  }

  /** Re-syncs every indexed note under a folder that vanished (deleted or renamed away). */
  syncFolderRemoved(folderRel: string): void {
    for (const row of this.store.index.stmts.listUnder.all(`${folderRel}/`, `${folderRel}0`)) this.syncPath(row.path);
  }

  /**
   * Reconciles the index with the folder: plans on this thread in time slices (walk and stat; unchanged notes
   * are not read), then applies the plan in a worker thread when it has at least `workerMinNotes` notes to read,
   * else here in time slices. Never throws: failures are logged. The result is logged at info ("vault: index
   * reconciled"), at debug with `quietWhenUnchanged` when it changed nothing (the follow-up pass once the watcher
   * is ready, so a start logs it once).
   */
  async reconcile(opts: { quietWhenUnchanged?: boolean } = {}): Promise<void> {
    const t0 = performance.now();
    const parsedBefore = this.stats.notesParsed;
    this.stats.reconciles++;
    try {
      const planner = new ReconcilePlanner(this.store.index, this.resolver, this.root);
      const slice = { sliceMs: this.opts.sliceMs, commitEveryMs: this.opts.commitEveryMs || 250, shouldStop: () => this.aborted };
      if (!(await runSliced(planner, undefined, slice))) return;
      this.stats.notesUnchanged += planner.unchanged;
      const plan = planner.plan;
      await this.background; // an earlier worker still merging holds the write lock: no writes here until it ends
      if (this.aborted) return;
      let workers = 0;
      // a merge a stop interrupted is finished in the worker too, not by FTS5 at a later write on this thread
      const mergeOwed = this.store.index.stmts.getState.get(MERGE_PENDING) !== undefined;
      if (plan.read.length >= this.opts.workerMinNotes || mergeOwed) {
        try {
          workers = await this.applyInWorker(plan);
        } catch (err) {
          this.logger.warn({ err: (err as Error).message }, "vault: reconcile worker failed; indexing on the main thread");
        }
      }
      if (workers === 0) await runSliced(new ReconcileApply(this.store, this.root, plan), this.store.index, slice);
      const changed = plan.read.length + plan.gone.length + plan.filesAdded.length + plan.filesGone.length > 0;
      this.logger[opts.quietWhenUnchanged && !changed ? "debug" : "info"](
        { notes: this.resolver.noteCount, parsed: this.stats.notesParsed - parsedBefore, workers, ms: Math.round(performance.now() - t0) },
        "vault: index reconciled",
      );
    } catch (err) {
      this.logger.error({ err }, "vault: reconcile failed");
    }
  }

  /**
   * Resolves when no reconcile worker runs any more, not even its background work after the index was complete
   * (the FTS5 merge, see `reconcile-worker-main.ts`); until then API writes are indexed by the worker. Never
   * rejects. {@link abort} first to make it quick.
   */
  idle(): Promise<void> {
    return this.background;
  }

  /**
   * Applies the plan in a worker thread; resolves, once the index is complete, the number of worker threads that
   * applied it (1, or 2 with a parse worker). The worker then merges the FTS5 segments in the background (see
   * {@link idle}); API writes and watcher events keep going to it, or being deferred, until it exits. Throws when
   * the worker failed before the index was complete (after cleaning up, so the caller can apply the plan here).
   */
  private async applyInWorker(plan: ReconcilePlan): Promise<number> {
    const url = reconcileWorkerUrl();
    if (!url) throw new Error("reconcile worker file not found");
    const params = {
      root: this.root,
      indexDbPath: this.indexDbPath,
      commitEveryMs: this.opts.commitEveryMs || 1000,
      parseWorkerMinNotes: this.opts.parseWorkerMinNotes,
      stop: this.stopFlag,
    };
    this.deferred = new Set();
    let run: ReconcileWorkerRun;
    try {
      run = new ReconcileWorkerRun(url, plan, params, (synced) => this.confirm(synced, true));
    } catch (err) {
      this.endDeferred(false);
      throw err;
    }
    this.urgent = run;
    warmUpNoteParsing(); // while the worker boots: this thread's first write after the index does not compile it
    let result;
    try {
      result = await run.indexed;
    } catch (err) {
      await run.exited;
      this.endDeferred(false);
      throw err;
    }
    this.stats.filesRead += result.filesRead;
    this.stats.notesParsed += result.notesParsed;
    this.stats.notesUnchanged += result.notesUnchanged;
    if (result.changed) this.store.loadResolver();
    this.inBackground = true;
    this.background = run.exited.then(({ error }) => {
      if (error) this.logger.warn({ err: error }, "vault: reconcile worker failed after indexing (FTS5 merge)");
      try {
        // API writes the worker indexed after the resolver was loaded above may have changed aliases
        this.endDeferred(run.sentAfterIndexed); // unless already done (see deferring)
      } catch (err) {
        this.logger.error({ err }, "vault: re-sync after the reconcile worker failed");
      }
    });
    return result.threads;
  }

  /** Back to indexing on this thread: re-syncs every path written or changed while the worker ran. Idempotent. */
  private endDeferred(reloadResolver: boolean): void {
    if (!this.deferred) return;
    this.inBackground = false;
    this.urgent = undefined;
    const touched = this.deferred;
    this.deferred = undefined;
    if (this.aborted) return this.confirm([...this.unconfirmed], false);
    if (reloadResolver) this.store.loadResolver();
    for (const rel of touched) this.syncPath(rel, this.unconfirmed.has(rel) ? "api" : "reconcile");
    // written through the API and not confirmed by the worker: now synced here
    this.confirm([...this.unconfirmed], false);
  }
}
