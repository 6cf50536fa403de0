/**
 * `agentd start` loads `node:http` (and the undici it loads) before it sets V8 flags (src/preload-builtins.ts): a
 * built-in loaded afterwards is compiled from source instead of Node's embedded code cache. This checks the list
 * against the built bundle (dist/meta/daemon.json, scripts/bundle.mjs): each preloaded built-in is one that a chunk
 * the start command loads statically imports anyway, so the preload never loads a module the daemon would not.
 * Runs on the built tree (`npm test` builds first).
 */
import { readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PRELOADED_BUILTINS } from "../src/preload-builtins.js";

const ROOT = join(import.meta.dirname, "..");

interface Metafile {
  inputs: Record<string, { imports: Array<{ path: string; kind: string; external?: boolean }> }>;
  outputs: Record<string, { imports: Array<{ path: string; kind: string; external?: boolean }>; inputs: Record<string, unknown> }>;
}

/** The chunks `agentd start` evaluates before startDaemon runs: the chunk of src/cli/start.ts and its static imports. */
function startChunks(meta: Metafile): string[] {
  const root = Object.keys(meta.outputs).find((o) => o.endsWith(".js") && "dist/src/cli/start.js" in meta.outputs[o]!.inputs);
  expect(root, "the chunk of dist/src/cli/start.js").toBeDefined();
  const seen = new Set<string>();
  const queue = [root!];
  while (queue.length > 0) {
    const out = queue.pop()!;
    if (seen.has(out)) continue;
    seen.add(out);
    for (const i of meta.outputs[out]!.imports) if (i.kind === "import-statement" && meta.outputs[i.path]) queue.push(i.path);
  }
  return [...seen];
}

describe("the built-ins agentd start loads before its V8 flags", () => {
  it("preloads only built-ins the start command's chunks import anyway", () => {
    const meta = JSON.parse(readFileSync(join(ROOT, "dist", "meta", "daemon.json"), "utf8")) as Metafile;
    const builtins = new Set(builtinModules);
    const used = new Set<string>();
    for (const chunk of startChunks(meta)) {
      for (const input of Object.keys(meta.outputs[chunk]!.inputs)) {
        for (const i of meta.inputs[input]?.imports ?? []) {
          const name = i.path.replace(/^node:/, "");
          if (i.external && builtins.has(name)) used.add(name);
        }
      }
    }
    expect(used.size).toBeGreaterThan(10);
    expect(PRELOADED_BUILTINS.length).toBeGreaterThan(0);
    expect(PRELOADED_BUILTINS.filter((b) => !used.has(b))).toEqual([]);
  });
});
