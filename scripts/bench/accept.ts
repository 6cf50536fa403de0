/**
 * Durable accept benchmark (issue 17 item 5): what it costs to make `chat.send`'s acceptance survive a power cut,
 * on the real store (src/store/store.ts) in a folder on the disk an agent would use (`BENCH_ACCEPT_DIR`, default
 * the OS temp folder: check it is not tmpfs). `BENCH_ACCEPT_COUNT` (2,000) messages per way, interleaved in
 * blocks so disk noise hits every way alike, each way with 1 caller and with `BENCH_ACCEPT_CONCURRENCY` (50)
 * callers at once (like sessions of a busy daemon):
 * - `normal`: the accept transaction with `synchronous=NORMAL` and nothing more (before: survives a crash of
 *   the process, not a power cut);
 * - `full`: the same transaction under `synchronous=FULL` (SQLite fsyncs the WAL inside COMMIT, on the event loop);
 * - `group`: NORMAL commit, then `Store.durable()` (what agentd does: one fdatasync of the WAL shared by every
 *   caller waiting at that moment, in the thread pool; src/store/wal-sync.ts).
 * Prints per accept: time until durable p50/p99, time the event loop was blocked p50, accepts per second.
 * Run: `npm run build && node dist/scripts/bench/accept.js`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Store } from "../../src/store/store.js";
import { envNumber } from "./lib/setup.js";

type Way = "normal" | "full" | "group";
const WAYS: Way[] = ["normal", "full", "group"];

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Runs the benchmark and returns its figures (ms, accepts per second), keyed `<way><callers>…`. */
export async function runAcceptBench(): Promise<Record<string, number>> {
  const count = envNumber("BENCH_ACCEPT_COUNT", 2_000);
  const concurrency = envNumber("BENCH_ACCEPT_CONCURRENCY", 50);
  const dir = mkdtempSync(join(process.env.BENCH_ACCEPT_DIR ?? tmpdir(), "agentd-accept-"));
  const store = new Store(join(dir, "agentd.db"));
  const session = store.createSession();
  let n = 0;
  /** One accept the given way; resolves when it may be acknowledged. Returns ms the event loop was blocked. */
  const acceptOne = async (way: Way): Promise<number> => {
    const t = performance.now();
    if (way === "full") store.sqlite.pragma("synchronous = FULL");
    try {
      store.acceptMessage({ sessionId: session.id, content: "hello there, how are you today?", idempotencyKey: `k${n++}` });
    } finally {
      if (way === "full") store.sqlite.pragma("synchronous = NORMAL");
    }
    const blocked = performance.now() - t;
    if (way === "group") await store.durable();
    return blocked;
  };
  const figures: Record<string, { durable: number[]; blocked: number[]; wallMs: number }> = {};
  const block = 200;
  try {
    for (let done = 0; done < count; done += block) {
      for (const callers of [1, concurrency]) {
        for (const way of WAYS) {
          const f = (figures[`${way}${callers}`] ??= { durable: [], blocked: [], wallMs: 0 });
          const t0 = performance.now();
          let left = block;
          await Promise.all(Array.from({ length: callers }, async () => {
            while (left > 0) {
              left--;
              const t = performance.now();
              f.blocked.push(await acceptOne(way));
              f.durable.push(performance.now() - t);
            }
          }));
          f.wallMs += performance.now() - t0;
        }
      }
    }
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const labels: Record<Way, string> = {
    normal: "synchronous=NORMAL only (before)",
    full: "synchronous=FULL for the accept",
    group: "group commit, Store.durable() (agentd)",
  };
  const out: Record<string, number> = {};
  console.log(`Accepting a message until it may be acknowledged, ${count} per way, in ${tmpdir()} (${store.sqlite.name})`);
  for (const callers of [1, concurrency]) {
    for (const way of WAYS) {
      const f = figures[`${way}${callers}`]!;
      const perSec = (f.durable.length / f.wallMs) * 1000;
      Object.assign(out, {
        [`${way}${callers}P50Ms`]: pct(f.durable, 50), [`${way}${callers}P99Ms`]: pct(f.durable, 99),
        [`${way}${callers}BlockedP50Ms`]: pct(f.blocked, 50), [`${way}${callers}PerSec`]: perSec,
      });
      console.log(
        `${`${labels[way]}, ${callers} at once`.padEnd(52)} durable p50 ${pct(f.durable, 50).toFixed(2).padStart(6)} ms  p99 ${pct(f.durable, 99).toFixed(2).padStart(6)} ms` +
          `  loop blocked p50 ${pct(f.blocked, 50).toFixed(3)} ms  ${perSec.toFixed(0).padStart(6)} accepts/s`,
      );
    }
  }
  console.log(`accepts per second with ${concurrency} at once, group commit / FULL: ${(out[`group${concurrency}PerSec`]! / out[`full${concurrency}PerSec`]!).toFixed(1)}`);
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runAcceptBench();
