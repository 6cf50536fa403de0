import { existsSync, readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Parsed source maps by generated file (`null`: the file has none). Filled only when a stack is mapped, so a process
 * that never logs an error never reads a map: this is why agentd maps stacks itself instead of running with
 * `--enable-source-maps` (with it, Node reads and parses the map of every module it loads: a slower start, see
 * docs/operations.md "Source maps").
 */
const maps = new Map<string, SourceMap | null>();

/** The parsed linked source map of `file` (`file.map`, as esbuild's `sourcemap: "linked"` writes it), or null. */
function mapOf(file: string): SourceMap | null {
  let map = maps.get(file);
  if (map !== undefined) return map;
  map = null;
  try {
    if (existsSync(`${file}.map`)) map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, "utf8")));
  } catch {
    map = null; // an unreadable map: keep the generated position
  }
  maps.set(file, map);
  return map;
}

/** One stack location `path-or-url:line:column` of a generated `.js` file, mapped to its source (absolute path). */
function mapLocation(location: string): string {
  const m = /^(.*\.[cm]?js):(\d+):(\d+)$/.exec(location);
  if (!m) return location;
  const [, where, line, column] = m;
  let file: string;
  try {
    file = where!.startsWith("file://") ? fileURLToPath(where!) : where!;
  } catch {
    return location;
  }
  const map = mapOf(file);
  if (!map) return location;
  // V8 positions are 1-based; source map entries are 0-based (Source Map Revision 3)
  const entry = map.findEntry(Number(line) - 1, Number(column) - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number };
  if (!entry.originalSource || entry.originalLine === undefined || entry.originalColumn === undefined) return location;
  const source = entry.originalSource.startsWith("file://") ? fileURLToPath(entry.originalSource) : resolve(dirname(file), entry.originalSource);
  return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
}

/**
 * `stack` (an `Error.stack` text) with each frame in a bundled file that has a linked source map (dist/bundle/**.js
 * with its `.js.map`, chained by esbuild through tsc's maps) rewritten to the TypeScript source, e.g.
 * `at startDaemon (/…/dist/bundle/chunk-X.js:1:2345)` → `at startDaemon (/…/src/daemon.ts:88:11)`. Frames without a
 * map (node: internals, node_modules outside the bundle) and any line that is not a frame are kept as they are.
 * Maps are read on first use and cached for the process's life. Never throws.
 */
export function sourceMappedStack(stack: string): string {
  return stack
    .split("\n")
    .map((line) => {
      if (!/^\s+at /.test(line)) return line;
      return line.replace(/\(([^()]+)\)$/, (_, loc: string) => `(${mapLocation(loc)})`).replace(/^(\s+at )([^\s()]+)$/, (_, at: string, loc: string) => `${at}${mapLocation(loc)}`);
    })
    .join("\n");
}

/**
 * pino's `err` serializer with the stack source-mapped ({@link sourceMappedStack}): the daemon's log names
 * `src/…ts` lines for an error logged as `{ err }`.
 */
export function sourceMappedErrSerializer(serialize: (err: Error) => Record<string, unknown>): (err: Error) => Record<string, unknown> {
  return (err) => {
    const out = serialize(err);
    if (typeof out.stack === "string") out.stack = sourceMappedStack(out.stack);
    return out;
  };
}
