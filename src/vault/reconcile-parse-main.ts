import { workerData } from "node:worker_threads";
import { PARSE_AHEAD_MAX, PARSE_BATCH, prepareNote, type ParseWorkerData, type ParseWorkerMessage } from "./reconcile-parse.js";

/**
 * The parse worker of a big reconcile (see `reconcile-parse.ts`): prepares the notes of `paths` in order and
 * sends them in batches, skipping those the writer has already taken and staying at most
 * {@link PARSE_AHEAD_MAX} notes ahead of it; stops early when the reconcile's stop flag is set.
 */
const data = workerData as ParseWorkerData;
let batch: ParseWorkerMessage["notes"] = [];
const flush = (): void => {
  if (batch.length > 0) data.port.postMessage({ notes: batch } satisfies ParseWorkerMessage);
  batch = [];
};
try {
  for (let i = 0; i < data.paths.length && Atomics.load(data.stop, 0) !== 1; ) {
    const taken = Atomics.load(data.taken, 0);
    if (i < taken) {
      flush();
      i = taken; // the writer got there first and read these itself
    } else if (i - taken >= PARSE_AHEAD_MAX) {
      flush();
      Atomics.wait(data.taken, 0, taken, 100);
    } else {
      batch.push([i, prepareNote(data.root, data.paths[i]!)]);
      i++;
      // The first batches small, so the writer gets prepared notes at once.
      if (batch.length >= Math.min(PARSE_BATCH, 1 + (i >> 3))) flush();
    }
  }
  flush();
} finally {
  data.port.close();
}
