import { randomFillSync } from "node:crypto";

let lastMs = 0;
let counter = 0;

/**
 * Random bytes taken 4 at a time from a pool refilled from the CSPRNG when used up: one `randomFillSync` per 1,024
 * ids instead of one `randomBytes` call (and Buffer) per id; a turn makes several ids (issue 20).
 */
const pool = Buffer.alloc(4096);
let offset = pool.length;

/** 6 base64url characters of fresh randomness (4 bytes). */
function randomPart(): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  offset += 4;
  return pool.toString("base64url", offset - 4, offset);
}

/**
 * A new sortable id: `<prefix>_<time base36, 9 chars><counter base36, 4 chars><random, 6 chars>`.
 * Ids made later in the same process sort after earlier ones (the counter breaks ties in one millisecond),
 * so messages can be ordered by id. Prefixes: `s` session, `m` message, `r` run.
 */
export function newId(prefix: string): string {
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    counter = 0;
  } else {
    counter++;
  }
  const time = lastMs.toString(36).padStart(9, "0");
  const seq = counter.toString(36).padStart(4, "0");
  return `${prefix}_${time}${seq}${randomPart()}`;
}
