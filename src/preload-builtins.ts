/**
 * The Node built-in modules `agentd start` loads before it listens (those the start chunk's module graph
 * imports, and what their ESM facades load: `node:http`'s `WebSocket` getter loads undici, Node's fetch API).
 * Listed so {@link loadDaemonBuiltins} can load them before `applyDaemonHeapSettings` (src/memory.ts) sets V8
 * flags. tests/start-builtins.test.ts checks the list against the built bundle's metafile.
 */
export const DAEMON_BUILTINS = [
  "assert", "buffer", "child_process", "crypto", "diagnostics_channel", "events", "fs", "fs/promises", "http", "http2",
  "https", "module", "net", "os", "path", "perf_hooks", "process", "querystring", "readline", "stream", "stream/promises",
  "string_decoder", "timers/promises", "tls", "url", "util", "v8", "vm", "worker_threads", "zlib",
] as const;

/**
 * Loads {@link DAEMON_BUILTINS} (as ES modules, so their facades run now too), to be called before any V8 flag
 * is set at run time. Why: Node compiles a built-in from the code cache embedded in its binary only while V8's
 * flag hash is the one the cache was made with; a flag set by `v8.setFlagsFromString` (or given to node, e.g.
 * `--heap-growing-percent`) changes that hash, and every built-in loaded afterwards is compiled from its source.
 * Loading the daemon's ~120 built-in modules (undici the biggest) after `applyDaemonHeapSettings` cost ~50 ms more
 * CPU per start than before it (docs/performance.md "Start-up: built-ins before the V8 flags"). The modules
 * are the same either way: this only moves their loading before the flags.
 */
export async function loadDaemonBuiltins(): Promise<void> {
  const load = (specifier: string) => import(specifier);
  await Promise.all(DAEMON_BUILTINS.map((name) => load(`node:${name}`)));
}
