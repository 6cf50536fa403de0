import { workerData } from "node:worker_threads";
import { PARSE_AHEAD_MAX, PARSE_BATCH, prepareNote, type ParseWorkerData, type ParseWorkerMessage, type PreparedNote } from "./reconcile-parse.js";

/**
 * The parse worker of a big reconcile (see `reconcile-parse.ts`): prepares the notes of `paths` in order and
 * sends them in batches, staying at most {@link PARSE_AHEAD_MAX} notes ahead of the writer; stops early when the
 * reconcile's stop flag is set. Ends with a `done` message.
 */
const data = workerData as ParseWorkerData;
let batch: PreparedNote[] = [];
const send = (m: ParseWorkerMessage): void => data.port.postMessage(m);
try {
  for (let i = 0; i < data.paths.length && Atomics.load(data.stop, 0) !== 1; i++) {
    for (let taken = Atomics.load(data.taken, 0); i - taken > PARSE_AHEAD_MAX; taken = Atomics.load(data.taken, 0)) {
      if (batch.length > 0) send({ notes: batch.splice(0) });
      Atomics.wait(data.taken, 0, taken, 100);
      if (Atomics.load(data.stop, 0) === 1) break;
    }
    batch.push(prepareNote(data.root, data.paths[i]!));
    // The first batches small, so the writer starts at once.
    if (batch.length >= Math.min(PARSE_BATCH, 1 + (i >> 2))) send({ notes: batch.splice(0) });
  }
  if (batch.length > 0) send({ notes: batch });
} finally {
  send({ done: true });
  data.port.close();
}
