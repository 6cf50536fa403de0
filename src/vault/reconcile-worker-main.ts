import { availableParallelism } from "node:os";
import { MessageChannel, parentPort, receiveMessageOnPort, Worker, workerData, type MessagePort } from "node:worker_threads";
import { IndexDb, MERGE_PENDING } from "./index-db.js";
import { NoteStore } from "./note-store.js";
import { ReconcileApply, runToEnd, type ReconcilePlan } from "./reconcile-job.js";
import { ParseFeed, type ParseWorkerData } from "./reconcile-parse.js";
import { LinkResolver } from "./resolve.js";

/**
 * What the main thread passes to the reconcile worker. `stop[0]` turns 1 to ask it to stop early. `urgent`
 * receives vault-relative paths written through agentd meanwhile (one string per message): the worker indexes
 * them out of turn, commits, and answers with a `synced` message.
 */
export interface ReconcileWorkerData {
  root: string;
  indexDbPath: string;
  plan: ReconcilePlan;
  commitEveryMs: number;
  /** Read and parse notes in a second worker when the plan has at least this many to read (`reconcile-parse.ts`). */
  parseWorkerMinNotes: number;
  /** The URL of this worker's entry file (`reconcile-worker.js`), which also starts the parse worker. */
  entry: string;
  stop: Int32Array;
  /** Set to 1 (`closed[0]`) once this worker has closed its connection: the main thread may write at once. */
  closed: Int32Array;
  urgent: MessagePort;
}

/** What a reconcile worker did: its counters (`threads`: 2 when a parse worker read and parsed notes). */
export interface ReconcileWorkerResult {
  finished: boolean;
  changed: boolean;
  removed: number;
  filesRead: number;
  notesParsed: number;
  notesUnchanged: number;
  threads: number;
}

/**
 * The worker's messages: `synced` (paths sent on `urgent`, now committed to the index; any number of them, at
 * any time), `indexed` once the index is complete (every note, link, tag and secondary index: search, list,
 * graph and backlinks answer from it exactly), then one final message when its background work (merging the
 * FTS5 segments, checkpointing the WAL) is done and it exits: `ok: true`, or an error message, which may also come
 * before `indexed` (then the index was not completed).
 */
export type ReconcileWorkerMessage =
  | { synced: string[] }
  | { indexed: ReconcileWorkerResult }
  | { ok: true }
  | { ok: false; error: string };

/** Merge all FTS5 segments when a reconcile (re)indexes or removes at least this many notes. */
const OPTIMIZE_AFTER_CHANGES = 100;

/**
 * FTS5 leaf pages per merge step (~1-3 ms at 50 µs a page): API writes that arrive meanwhile wait at most one
 * step. The merge of a cold index of 10,000 notes is ~75 such steps.
 */
const MERGE_STEP_PAGES = 50;

/**
 * Commit the merge this often (ms): an API write that arrives meanwhile commits the merge work done so far with
 * it, so this bounds how much that commit writes.
 */
const MERGE_COMMIT_EVERY_MS = 100;

/**
 * Starts the parse worker for a big plan (see `reconcile-parse.ts`): the same entry file as this worker's, with
 * `role: "parse"`. Returns `undefined` when the plan is small, the machine has one core, or the worker cannot
 * start (then notes are read here).
 */
function startParseWorker(): ParseFeed | undefined {
  // On one core a second thread only adds its start-up and the hand-over to the same work.
  if (data.plan.read.length < data.parseWorkerMinNotes || availableParallelism() < 2) return undefined;
  try {
    const { port1, port2 } = new MessageChannel();
    const taken = new Int32Array(new SharedArrayBuffer(4));
    const parse: ParseWorkerData = { role: "parse", root: data.root, paths: data.plan.read, port: port2, taken, stop: data.stop };
    const worker = new Worker(new URL(data.entry), { workerData: parse, transferList: [port2] });
    worker.on("error", () => undefined); // the writer reads whatever the parse worker does not deliver
    return new ParseFeed(worker, port1, taken);
  } catch {
    return undefined;
  }
}

const data = workerData as ReconcileWorkerData;
let index: IndexDb | undefined;
let feed: ParseFeed | undefined;
try {
  index = new IndexDb(data.indexDbPath, { rebuild: false });
  index.beginBulkLoad();
  const store = new NoteStore(index, new LinkResolver());
  store.loadResolver();
  feed = startParseWorker();
  const job = new ReconcileApply(store, data.root, data.plan, feed);
  const stop = (): boolean => Atomics.load(data.stop, 0) === 1;
  const urgent = (): (() => void) | undefined => {
    const synced: string[] = [];
    for (let m = receiveMessageOnPort(data.urgent); m; m = receiveMessageOnPort(data.urgent)) {
      const rel = m.message as string;
      job.syncNow(rel);
      synced.push(rel);
    }
    return synced.length > 0 ? () => parentPort?.postMessage({ synced } satisfies ReconcileWorkerMessage) : undefined;
  };
  // A big load leaves many FTS5 segments. The mark says the merge below is owed and stays until it has run to
  // its end, so a stop during the merge (or during the load) does not leave the merge to a later one-note write
  // on the main thread (FTS5's crisis merge, ~300 ms for 10,000 notes): the next start's worker merges instead.
  if (data.plan.read.length + data.plan.gone.length >= OPTIMIZE_AFTER_CHANGES) index.stmts.setState.run(MERGE_PENDING, "1");
  const finished = runToEnd(job, index, data.commitEveryMs, stop, urgent);
  const { filesRead, notesParsed, notesUnchanged } = store.stats;
  const threads = feed && feed.delivered > 0 ? 2 : 1;
  parentPort?.postMessage({ indexed: { finished, ...job.result, filesRead, notesParsed, notesUnchanged, threads } } satisfies ReconcileWorkerMessage);
  await feed?.close();
  feed = undefined;
  // After a bulk load, merge the FTS5 segments into one here, off the main thread: otherwise a later one-note
  // write on the main thread may trigger a large merge (~300 ms for 10,000 notes). Search does not need it (the
  // same hits, scores and snippets either way), so it runs after `indexed`, in small steps between which API
  // writes are still indexed out of turn.
  if (finished && index.stmts.getState.get(MERGE_PENDING) !== undefined) {
    const merged = runToEnd({ step: () => index!.mergeStep(MERGE_STEP_PAGES) }, index, MERGE_COMMIT_EVERY_MS, stop, urgent, 1);
    if (merged) index.stmts.deleteState.run(MERGE_PENDING);
  }
  index.checkpoint();
  parentPort?.postMessage({ ok: true } satisfies ReconcileWorkerMessage);
} catch (err) {
  parentPort?.postMessage({ ok: false, error: (err as Error).message } satisfies ReconcileWorkerMessage);
} finally {
  await feed?.close();
  index?.endBulkLoad(); // never leave the index without its secondary indexes (also when stopped early)
  index?.close();
  Atomics.store(data.closed, 0, 1);
}
