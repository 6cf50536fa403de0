/**
 * The Node built-in modules `agentd start` loads before `applyDaemonHeapSettings` (src/memory.ts) sets V8 flags:
 * `node:http`, whose ESM facade reads its `WebSocket` getter and so loads undici (Node's fetch API, which
 * `@hono/node-server` needs anyway) with what undici loads: the largest part of the built-ins the daemon uses.
 * Only built-ins the start chunks import anyway belong here (tests/start-builtins.test.ts checks it against the
 * bundle's metafile), so preloading never loads a module the daemon would not.
 */
export const PRELOADED_BUILTINS = ["http"] as const;

/**
 * Loads {@link PRELOADED_BUILTINS} as ES modules (so their facades, undici included, load now too); to be called
 * before any V8 flag is set at run time. Why: Node compiles a built-in from the code cache embedded in its binary
 * only while V8's flag hash is the one the cache was made with; a flag set by `v8.setFlagsFromString` (or given to
 * node, e.g. `--heap-growing-percent`) changes that hash, and every built-in loaded afterwards is compiled from its
 * source. Measured (docs/performance.md "Start-up: built-ins before the V8 flags, and modules loaded on first
 * use"): `node:http` first took the CPU at listen from ~470 to ~400 ms (medians of 6 alternating starts, load 2–6);
 * all ~30 built-ins the start chunks import first did worse than `node:http` alone (~540 against ~470 ms, idle RSS
 * +0.6 MB, 6 alternating starts of copies of the same build).
 */
export async function loadPreloadedBuiltins(): Promise<void> {
  const load = (specifier: string) => import(specifier);
  await Promise.all(PRELOADED_BUILTINS.map((name) => load(`node:${name}`)));
}
