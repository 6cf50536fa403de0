import { PerformanceObserver } from "node:perf_hooks";
import { getHeapSpaceStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** V8's `gc()` function (what `--expose-gc` puts on the global object). */
type GcFunction = (options: { type: "major"; execution: "async"; flavor: "last-resort" }) => Promise<void> | void;

/** The glibc malloc settings bin/agentd.cjs starts the daemon with (kept in step with `DAEMON_MALLOC_ENV`). */
const LAUNCHER_MALLOC_ENV = ["MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"] as const;

/**
 * Removes the malloc settings bin/agentd.cjs put into the daemon's environment (marked by `AGENTD_MALLOC_ENV_SET`):
 * glibc has read them at this process's start, and the MCP servers, tools and bridges the daemon starts should get
 * the environment the user gave. Settings the user (or the systemd unit) set are left alone.
 */
function forgetLauncherMallocEnv(): void {
  if (process.env.AGENTD_MALLOC_ENV_SET !== "1") return;
  for (const name of LAUNCHER_MALLOC_ENV) delete process.env[name];
  delete process.env.AGENTD_MALLOC_ENV_SET;
}

/** The `gc` function {@link applyDaemonHeapSettings} obtained, when node was not started with `--expose-gc`. */
let exposedGc: GcFunction | undefined;

/**
 * The V8 settings of the daemon (`agentd start`), applied in the running process as the first thing `start` does,
 * before the heap grows (no second Node boot: issue 20). Node's own arguments and `NODE_OPTIONS` win: a setting they
 * already make is left alone. Returns the flags it set.
 *
 * - The young generation: V8 sizes it from the machine's RAM (up to 64 MB per semi-space), and a busy daemon's RSS
 *   grew to ~600 MB with a live heap of ~35 MB; 2 MB per semi-space cost no measurable throughput, 1 MB did (more
 *   objects promoted early: the soak's RSS kept rising). `--max-semi-space-size` is read only when the isolate is
 *   created, but `--semi-space-growth-factor` is read each time the new space would grow: once V8 has grown it to
 *   {@link SEMI_SPACE_TARGET_BYTES} (observed after each young-generation GC), `--semi-space-growth-factor=1` stops
 *   it there (docs/performance.md has the figures). Skipped when `--max-semi-space-size` or
 *   `--semi-space-growth-factor` is given to node.
 * - The old generation grows by {@link HEAP_GROWING_PERCENT} between full GCs (unless node is given
 *   `--heap-growing-percent`).
 * - Tier-up thresholds ten times V8's while starting ({@link STARTUP_TIERING_FLAGS}), unless node is given one.
 * - `gc()`: `--expose-gc` set at run time exposes `gc` in contexts created afterwards; one fresh `vm` context hands
 *   it over, so {@link releaseMemory} works without node's `--expose-gc` (the documented V8 idiom).
 */
export function applyDaemonHeapSettings(given: string = [...process.execArgv, process.env.NODE_OPTIONS ?? ""].join(" ")): string[] {
  forgetLauncherMallocEnv();
  const set: string[] = [];
  if (!/--max[-_]semi[-_]space[-_]size|--semi[-_]space[-_]growth[-_]factor/.test(given)) {
    capYoungGeneration();
    set.push("--semi-space-growth-factor=1");
  }
  if (!/--heap[-_]growing[-_]percent/.test(given)) {
    setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
    set.push(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  }
  if (!/--invocation[-_]count[-_]for[-_]|--(no[-_])?(maglev|turbofan|opt)\b|--jitless/.test(given)) {
    setFlagsFromString(STARTUP_TIERING_FLAGS.join(" "));
    startupTiering = true;
    set.push(...STARTUP_TIERING_FLAGS);
  }
  if (typeof (globalThis as { gc?: unknown }).gc !== "function" && !exposedGc) {
    setFlagsFromString("--expose-gc");
    exposedGc = runInNewContext("gc") as GcFunction;
    setFlagsFromString("--no-expose-gc");
    set.push("--expose-gc");
  }
  return set;
}

/**
 * How much V8 lets the old generation grow past what survived the last full GC before it runs the next one, in
 * percent (`--heap-growing-percent`; V8's own factor is dynamic, up to 4× for a small heap, and the daemon's old space
 * reached 80–100 MB for ~27 MB live under a soak). Every Buffer that survives one young-generation GC (socket
 * reads, HTTP bodies of the model's replies) keeps its malloc'd backing store until the next full GC, so the old
 * generation's slack also raises the glibc heap's high-water mark, which glibc cannot give back once fragmented
 * (the process's private memory then stays at the highest burst's level). In two same-run pairs of 8,000-turn soaks, settled RSS rose 123.8 → 134.7 MB with V8's factor and 119.5 → 124.6 MB
 * with 2× (1.5×: 110.9 → 121.7 vs 111.6 → 133.1), the daemon's CPU per turn within the runs' noise
 * (docs/performance.md). Read at each full GC, so it takes effect at run time. Skipped when node is given
 * `--heap-growing-percent`.
 */
export const HEAP_GROWING_PERCENT = 100;

/**
 * V8's tier-up thresholds while the daemon starts: ten times V8's invocation counts (node 22–24, V8 12.4–13.6:
 * Maglev 400 and OSR 100, TurboFan 3000 and OSR 500, early optimization 30; `node --v8-options`). Start-up code
 * (config and schema parsing, migrations, route tables) runs once, yet ~100 of its functions reached the default
 * counts and were compiled by Maglev and TurboFan, which touched ~5 MB of the optimizing compilers' pages of the
 * node binary and filled the code space, all of it resident for the life of an idle daemon (docs/performance.md).
 * {@link releaseMemory}'s first call after start (the daemon calls it once the port is open) restores
 * {@link DEFAULT_TIERING_FLAGS}, so the code of runs is optimized as usual. Skipped when node is given any
 * `--invocation-count-for-*`, `--maglev`, `--turbofan`, `--opt` or `--jitless` flag.
 */
export const STARTUP_TIERING_FLAGS = [
  "--invocation-count-for-maglev=4000",
  "--invocation-count-for-maglev-osr=1000",
  "--invocation-count-for-turbofan=30000",
  "--invocation-count-for-osr=5000",
  "--invocation-count-for-early-optimization=300",
] as const;

/** V8's own tier-up thresholds (node 22–24), restored by {@link releaseMemory} after start (see {@link STARTUP_TIERING_FLAGS}). */
export const DEFAULT_TIERING_FLAGS = [
  "--invocation-count-for-maglev=400",
  "--invocation-count-for-maglev-osr=100",
  "--invocation-count-for-turbofan=3000",
  "--invocation-count-for-osr=500",
  "--invocation-count-for-early-optimization=30",
] as const;

/** True while {@link STARTUP_TIERING_FLAGS} are in force. */
let startupTiering = false;

/** Size of one semi-space the young generation may grow to (what `--max-semi-space-size=2` set before issue 20). */
export const SEMI_SPACE_TARGET_BYTES = 2 * 2 ** 20;

/**
 * Lets V8 grow the young generation (default growth factor 2: 1 MB → 2 MB per semi-space) and sets
 * `--semi-space-growth-factor=1` once a GC left the new space at {@link SEMI_SPACE_TARGET_BYTES} per semi-space or
 * more. The check runs after each young-generation GC (a `gc` performance entry), so two growths within one
 * synchronous burst could pass before it (4 MB at most in practice).
 */
function capYoungGeneration(): void {
  const grown = () => (getHeapSpaceStatistics().find((s) => s.space_name === "new_space")?.space_size ?? 0) >= 2 * SEMI_SPACE_TARGET_BYTES;
  if (grown()) {
    setFlagsFromString("--semi-space-growth-factor=1");
    return;
  }
  const observer = new PerformanceObserver(() => {
    if (!grown()) return;
    setFlagsFromString("--semi-space-growth-factor=1");
    observer.disconnect();
  });
  observer.observe({ entryTypes: ["gc"] });
}

/**
 * Gives the heap's unused memory back to the system: one full, compacting garbage collection that also
 * shrinks the young generation (V8's `gc({ flavor: "last-resort" })`, run as a task: `execution: "async"`).
 * The daemon calls it once after a burst of runs, when it has been idle for a while (`RunScheduler` `onIdle`),
 * because V8's own memory reducer does not reliably run in a process that allocates nothing while idle: a daemon
 * kept 109 MB of heap committed for 61 MB in use through a 20 s quiet window (docs/performance.md). Returns false (and does
 * nothing but restore V8's tier-up thresholds after start, {@link STARTUP_TIERING_FLAGS}) when `gc` is neither exposed by node's `--expose-gc` nor obtained by {@link applyDaemonHeapSettings}.
 */
export function releaseMemory(): boolean {
  if (startupTiering) {
    setFlagsFromString(DEFAULT_TIERING_FLAGS.join(" "));
    startupTiering = false;
  }
  const gc = (globalThis as { gc?: GcFunction }).gc ?? exposedGc;
  if (typeof gc !== "function") return false;
  void Promise.resolve(gc({ type: "major", execution: "async", flavor: "last-resort" })).catch(() => {});
  return true;
}
