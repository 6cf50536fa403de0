/**
 * Event-loop lag probe (issue 20): preloaded into the daemon, it says what each long tick was made of, to find why
 * the load benchmark's lag p99 exceeds its budget. A 2 ms timer measures each loop iteration; an iteration whose
 * timer fires more than `LAG_PROBE_MIN_MS` (15) late is written to `LAG_PROBE_OUT` as one line:
 * `<ms since start> TICK <delay ms> run=<main thread on CPU> rqwait=<runnable, waiting for a CPU> blocked=<asleep:
 * I/O, fsync, locks> gc=<GC pauses> major=<mark-compact pauses> ckpt=<1 when the WAL restarted: a checkpoint ran>`,
 * from `/proc/thread-self/schedstat` (Linux), perf_hooks `gc` entries and the WAL header's checkpoint sequence
 * (https://www.sqlite.org/fileformat.html#wal_file_format). Also logs `/metrics` requests (the bench's lag window
 * starts and ends with one) and, at exit, a SUMMARY line with the sums. Run:
 * `BENCH_DAEMON_ENV="NODE_OPTIONS=--import=$PWD/dist/scripts/bench/lag-probe.js LAG_PROBE_OUT=/tmp/lag.log" node dist/scripts/bench/load.js`.
 */
import { subscribe } from "node:diagnostics_channel";
import { openSync, readFileSync, readSync, readdirSync, readlinkSync, writeSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { PerformanceObserver, performance } from "node:perf_hooks";

const out = openSync(process.env.LAG_PROBE_OUT ?? `/tmp/lag-probe-${process.pid}.log`, "a");
const minMs = Number(process.env.LAG_PROBE_MIN_MS ?? 15);
const log = (line: string) => writeSync(out, `${performance.now().toFixed(1)} ${line}\n`);

/** Main-thread time on CPU and waiting on the run queue, ms (schedstat: ns ns count). */
function sched(): { run: number; wait: number } {
  const [run, wait] = readFileSync("/proc/thread-self/schedstat", "utf8").split(" ").map(Number);
  return { run: run! / 1e6, wait: wait! / 1e6 };
}

let walFd = -1;
const header = Buffer.alloc(32);
/** The WAL header's checkpoint sequence and first salt (both change when a checkpoint lets the WAL restart); -1 unknown. */
function walGeneration(): number {
  try {
    if (walFd < 0) {
      const fd = readdirSync("/proc/self/fd").find((f) => {
        try {
          return readlinkSync(`/proc/self/fd/${f}`).endsWith(".db-wal");
        } catch {
          return false;
        }
      });
      if (fd === undefined) return -1;
      walFd = openSync(`/proc/self/fd/${fd}`, "r");
    }
    readSync(walFd, header, 0, 32, 0);
    return header.readUInt32BE(12) + header.readUInt32BE(16) / 2 ** 32;
  } catch {
    return -1;
  }
}

let gcMs = 0;
let majorMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcMs += e.duration;
    if (((e as PerformanceEntry & { detail?: { kind?: number } }).detail)?.kind !== 1) majorMs += e.duration;
  }
}).observe({ entryTypes: ["gc"] });
subscribe("http.server.request.start", (m) => {
  const url = (m as { request: IncomingMessage }).request.url ?? "";
  if (url.startsWith("/metrics")) log(`METRICS ${url}`);
});

const sum = { ticks: 0, wall: 0, run: 0, rqwait: 0, blocked: 0, gc: 0, checkpoints: 0, checkpointsInLongTicks: 0 };
let last = performance.now();
let lastSched = sched();
let lastWal = walGeneration();
setInterval(() => {
  const now = performance.now();
  const s = sched();
  const wal = walGeneration();
  const checkpoint = wal !== lastWal && wal !== -1 && lastWal !== -1;
  if (checkpoint) sum.checkpoints++;
  const delay = now - last - 2;
  if (delay > minMs) {
    const run = s.run - lastSched.run;
    const rqwait = s.wait - lastSched.wait;
    const blocked = now - last - run - rqwait;
    Object.assign(sum, { ticks: sum.ticks + 1, wall: sum.wall + delay, run: sum.run + run, rqwait: sum.rqwait + rqwait, blocked: sum.blocked + blocked, gc: sum.gc + gcMs });
    if (checkpoint) sum.checkpointsInLongTicks++;
    log(`TICK ${delay.toFixed(1)} run=${run.toFixed(1)} rqwait=${rqwait.toFixed(1)} blocked=${blocked.toFixed(1)} gc=${gcMs.toFixed(1)} major=${majorMs.toFixed(1)} ckpt=${checkpoint ? 1 : 0}`);
  }
  gcMs = 0;
  majorMs = 0;
  last = now;
  lastSched = s;
  lastWal = wal;
}, 2).unref();
process.on("exit", () => log(`SUMMARY ${JSON.stringify(Object.fromEntries(Object.entries(sum).map(([k, v]) => [k, Math.round(v)])))}`));
