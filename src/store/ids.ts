import { randomBytes } from "node:crypto";

let lastMs = 0;
let counter = 0;

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
  return `${prefix}_${time}${seq}${randomBytes(4).toString("base64url").slice(0, 6)}`;
}
