import { lstatSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { MessagePort, Worker } from "node:worker_threads";
import { hashOf, parseNoteBytes, type IndexedNote } from "./note-store.js";

/**
 * The reconcile's parse stage, for a big plan (a cold index): a second worker thread reads, hashes and parses the
 * notes to read while the reconcile worker writes the index, so the two halves of indexing run on two cores (the
 * main thread is idle meanwhile). The parse worker's entry is `reconcile-parse-main.ts`; the writer's side is
 * {@link ParseFeed}.
 */

/** Default: use a parse worker when a reconcile has at least this many notes to read (starting one costs ~30 ms). */
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

/** A message of the parse worker: a batch of prepared notes, or the end (`done`, after the last batch). */
export type ParseWorkerMessage = { notes: PreparedNote[] } | { done: true };

/**
 * What the reconcile worker passes to the parse worker: the vault root, the notes to read (vault-relative, in
 * the order the writer takes them), the port to send {@link ParseWorkerMessage}s on, `taken[0]`: how many notes
 * the writer has taken so far (for {@link PARSE_AHEAD_MAX}), and the reconcile's stop flag (`stop[0]` = 1).
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
 * The writer's end of the parse stage: collects the parse worker's notes as they arrive and hands them out by
 * path. If the parse worker fails or exits early, the notes it did not deliver are read by the writer itself
 * ({@link take} returns `null`), so a parse worker that dies costs time, never a note.
 */
export class ParseFeed {
  private readonly ready = new Map<string, PreparedNote>();
  private ended = false;
  private taken = 0;
  private wake: (() => void) | undefined;
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly takenCount: Int32Array;

  constructor(worker: Worker, port: MessagePort, taken: Int32Array) {
    this.worker = worker;
    this.port = port;
    this.takenCount = taken;
    port.on("message", (m: ParseWorkerMessage) => {
      if ("done" in m) this.ended = true;
      else for (const note of m.notes) this.ready.set(note.rel, note);
      this.wake?.();
    });
    const end = (): void => {
      this.ended = true;
      this.wake?.();
    };
    worker.once("error", end);
    worker.once("exit", end);
  }

  /**
   * The prepared note of `rel`; `undefined` when the parse worker has not delivered it yet (see {@link wait}),
   * `null` when it never will (it ended or failed first): then the caller reads the note itself.
   */
  take(rel: string): PreparedNote | null | undefined {
    const note = this.ready.get(rel);
    if (note === undefined) return this.ended ? null : undefined;
    this.ready.delete(rel);
    Atomics.store(this.takenCount, 0, ++this.taken);
    if ((this.taken & 31) === 0) Atomics.notify(this.takenCount, 0);
    return note;
  }

  /** Resolves when more notes arrived, the parse worker ended, or after `maxMs` (so the caller can look at urgent work). */
  async wait(maxMs: number): Promise<void> {
    if (this.ended) return;
    Atomics.notify(this.takenCount, 0);
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      timer = setTimeout(resolve, maxMs);
    });
    clearTimeout(timer);
    this.wake = undefined;
  }

  /** Stops the parse worker (if still running) and closes the port. */
  async close(): Promise<void> {
    this.port.close();
    await this.worker.terminate();
  }
}
