import { MessageChannel, Worker } from "node:worker_threads";
import { workerEntryUrl } from "../worker-entry.js";
import type { ReconcilePlan } from "./reconcile-job.js";
import type { ReconcileWorkerData, ReconcileWorkerMessage, ReconcileWorkerResult } from "./reconcile-worker-main.js";

/**
 * Where the reconcile worker's entry file is ({@link workerEntryUrl}): `reconcile-worker.js` beside this module, or
 * the tsc output `src/vault/reconcile-worker.js` above the bundle. `null` when there is none (then indexing stays on
 * the main thread).
 */
export function reconcileWorkerUrl(): URL | null {
  return workerEntryUrl(import.meta.url, "src/vault/reconcile-worker");
}

/** What {@link ReconcileWorkerRun} needs besides the plan; see {@link ReconcileWorkerData}. */
export interface ReconcileWorkerParams {
  root: string;
  indexDbPath: string;
  commitEveryMs: number;
  parseWorkerMinNotes: number;
  /** The reconcile's stop flag: `stop[0]` = 1 asks the worker to stop soon. */
  stop: Int32Array;
}

/**
 * The main thread's handle on one reconcile worker (`reconcile-worker-main.ts`): starts it on a plan, sends it
 * the paths written through the API meanwhile ({@link send}; `onSynced` hears when they are in the index), and
 * reports its two ends: {@link indexed} (the index is complete) and {@link exited} (its background work, the
 * FTS5 merge, is done too, or it failed or was stopped). Throws at construction when the worker cannot start.
 */
export class ReconcileWorkerRun {
  /** Resolves with the worker's counters once the index is complete; rejects when it failed or exited before. */
  readonly indexed: Promise<ReconcileWorkerResult>;
  /** Resolves when the worker has exited (never rejects); `error` is its failure after `indexed`, if any. */
  readonly exited: Promise<{ error?: string }>;
  /** True when paths were {@link send}t to the worker after its `indexed` message arrived. */
  sentAfterIndexed = false;
  private isIndexed = false;
  private readonly channel = new MessageChannel();
  /** `[0]` = 1 once the worker has closed its connection: it will not touch the index again. */
  private readonly closed = new Int32Array(new SharedArrayBuffer(4));

  constructor(url: URL, plan: ReconcilePlan, params: ReconcileWorkerParams, onSynced: (rels: string[]) => void) {
    const data: ReconcileWorkerData = { ...params, plan, entry: url.href, urgent: this.channel.port2, closed: this.closed };
    let error: string | undefined;
    let markIndexed: (r: ReconcileWorkerResult) => void = () => undefined;
    let fail: (err: Error) => void = () => undefined;
    this.indexed = new Promise((resolve, reject) => {
      markIndexed = resolve;
      fail = reject;
    });
    this.indexed.catch(() => undefined); // a caller that stopped listening must not see an unhandled rejection
    let worker: Worker;
    try {
      worker = new Worker(url, { workerData: data, transferList: [this.channel.port2] });
    } catch (err) {
      this.channel.port1.close();
      throw err;
    }
    worker.unref();
    worker.on("message", (m: ReconcileWorkerMessage) => {
      if ("synced" in m) onSynced(m.synced);
      else if ("indexed" in m) {
        this.isIndexed = true;
        markIndexed(m.indexed);
      } else if (!m.ok) {
        error = m.error;
        fail(new Error(m.error));
      }
    });
    worker.once("error", (err: Error) => {
      error = err.message;
      fail(err);
    });
    this.exited = new Promise((resolve) => {
      worker.once("exit", (code) => {
        this.channel.port1.close();
        fail(new Error(`reconcile worker exited with code ${code}`)); // no-op once indexed
        resolve(error === undefined ? {} : { error });
      });
    });
  }

  /** Sends a vault-relative path written through the API, for the worker to index out of turn. */
  send(rel: string): void {
    if (this.isIndexed) this.sentAfterIndexed = true;
    this.channel.port1.postMessage(rel);
  }

  /**
   * True once the worker has closed its index connection for good (read from shared memory, so it is known before
   * its `exit` event comes in): from then on the main thread may write to the index at once.
   */
  get closedIndex(): boolean {
    return Atomics.load(this.closed, 0) === 1;
  }
}
