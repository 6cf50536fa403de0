import { lstatSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { receiveMessageOnPort, type MessagePort, type Worker } from "node:worker_threads";
import { hashOf, parseNoteBytes, type IndexedNote } from "./note-store.js";

/**
 * The reconcile's parse stage, for a big plan (a cold index): a second worker thread reads, hashes and parses the
 * notes to read while the reconcile worker writes the index, so the two halves of indexing run on two cores (the
 * main thread is idle meanwhile). The parse worker's entry is `reconcile-parse-main.ts`; the writer's side is
 * {@link ParseFeed}.
 */

/**
 * Default: use a parse worker when a reconcile has at least this many notes to read (starting one costs it
 * 50-150 ms of CPU loading its modules; meanwhile the writer reads notes itself).
 */
export const PARSE_WORKER_MIN_NOTES = 1000;

/**
 * Most notes the parse worker may be ahead of the writer: bounds the memory of parsed notes in flight, and keeps
 * them young for V8's GC (with 2048 the writer spent 3× as long in GC: the waiting notes got promoted).
 */
export const PARSE_AHEAD_MAX = 256;

/** Notes per message from the parse worker to the writer. */
export const PARSE_BATCH = 32;

/**
 * One note of a reconcile plan as the parse worker found it on disk: read (`size` in bytes, `mtimeMs`, `hash`
 * = {@link hashOf} the bytes, the parsed `note`), not a file any more (`gone`), or unreadable (`failed`).
 */
export type PreparedNote =
  | { rel: string; size: number; mtimeMs: number; hash: string; note: IndexedNote }
  | { rel: string; gone: true }
  | { rel: string; failed: true };

/** A message of the parse worker: prepared notes, each with its index in the plan's list of notes to read. */
export interface ParseWorkerMessage {
  notes: [number, PreparedNote][];
}

/**
 * What the reconcile worker passes to the parse worker: the vault root, the notes to read (vault-relative, in
 * the order the writer takes them), the port to send {@link ParseWorkerMessage}s on, `taken[0]`: how many notes
 * the writer has taken so far, from the parse worker or by reading them itself (the parse worker skips those,
 * and stays at most {@link PARSE_AHEAD_MAX} ahead), and the reconcile's stop flag (`stop[0]` = 1).
 */
export interface ParseWorkerData {
  role: "parse";
  root: string;
  paths: string[];
  port: MessagePort;
  taken: Int32Array;
  stop: Int32Array;
}

/** Stats, reads, hashes and parses one note (see {@link PreparedNote}). Never throws. */
export function prepareNote(root: string, rel: string): PreparedNote {
  const abs = join(root, ...rel.split("/"));
  let st;
  try {
    st = lstatSync(abs);
  } catch {
    st = undefined;
  }
  if (!st || !st.isFile()) return { rel, gone: true };
  try {
    const buf = readFileSync(abs);
    return { rel, size: st.size, mtimeMs: st.mtimeMs, hash: hashOf(buf), note: parseNoteBytes(buf, rel) };
  } catch {
    return { rel, failed: true };
  }
}

/**
 * The writer's end of the parse stage. The writer takes the notes of the plan in order; a note the parse worker
 * has delivered comes prepared, any other one the writer reads and parses itself (never waiting: on a machine
 * whose cores are busy, or if the parse worker dies, indexing degrades to one thread instead of stalling), and the
 * parse worker skips what the writer has already taken. Messages are pulled synchronously (the writer never yields).
 */
export class ParseFeed {
  private readonly ready = new Map<number, PreparedNote>();
  private taken = 0;
  /** Notes the parse worker delivered and the writer used. */
  delivered = 0;
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly takenCount: Int32Array;

  constructor(worker: Worker, port: MessagePort, taken: Int32Array) {
    this.worker = worker;
    this.port = port;
    this.takenCount = taken;
  }

  /**
   * The next note of the plan, `rel`, prepared by the parse worker; `null` when it has not been delivered (yet):
   * then the caller reads it itself, and the parse worker will skip it.
   */
  take(rel: string): PreparedNote | null {
    const i = this.taken++;
    Atomics.store(this.takenCount, 0, this.taken);
    if ((this.taken & 31) === 0) Atomics.notify(this.takenCount, 0);
    if (!this.ready.has(i)) this.drain(i);
    const note = this.ready.get(i);
    if (note === undefined) return null;
    this.ready.delete(i);
    if (note.rel !== rel) return null;
    this.delivered++;
    return note;
  }

  /** Pulls every message waiting on the port, keeping the notes from index `from` on. */
  private drain(from: number): void {
    for (let m = receiveMessageOnPort(this.port); m; m = receiveMessageOnPort(this.port)) {
      for (const [i, note] of (m.message as ParseWorkerMessage).notes) if (i >= from) this.ready.set(i, note);
    }
  }

  /** Stops the parse worker (if still running) and closes the port. */
  async close(): Promise<void> {
    this.port.close();
    await this.worker.terminate();
  }
}
