/** V8's `gc()` (present when node runs with `--expose-gc`, which `agentd start` adds; see src/cli/main.ts). */
type GcFunction = (options: { type: "major"; execution: "async"; flavor: "last-resort" }) => Promise<void> | void;

/**
 * Gives the heap's unused memory back to the system: one full, compacting garbage collection that also
 * shrinks the young generation (V8's `gc({ flavor: "last-resort" })`, run as a task: `execution: "async"`).
 * The daemon calls it once after a burst of runs, when it has been idle for a while (`RunScheduler` `onIdle`),
 * because V8's own memory reducer does not reliably run in a process that allocates nothing while idle: a daemon
 * kept 109 MB of heap committed for 61 MB in use through a 20 s quiet window (docs/performance.md). Returns false (and does
 * nothing) when `gc` is not exposed.
 */
export function releaseMemory(): boolean {
  const gc = (globalThis as { gc?: GcFunction }).gc;
  if (typeof gc !== "function") return false;
  void Promise.resolve(gc({ type: "major", execution: "async", flavor: "last-resort" })).catch(() => {});
  return true;
}
