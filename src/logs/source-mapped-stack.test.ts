import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { sourceMappedErrSerializer, sourceMappedStack } from "./source-mapped-stack.js";

const dir = mkdtempSync(join(tmpdir(), "agentd-stack-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A TypeScript source bundled like scripts/bundle.mjs does it (linked map, no sources content); its output file. */
async function bundled(): Promise<string> {
  mkdirSync(join(dir, "src"), { recursive: true });
  writeFileSync(join(dir, "src", "thrower.ts"), "// line 1\nexport function fail(): never {\n  throw new TypeError(\"boom\");\n}\n");
  const out = join(dir, "dist", "bundle", "main.js");
  await build({ entryPoints: [join(dir, "src", "thrower.ts")], outfile: out, bundle: true, format: "esm", platform: "node", sourcemap: "linked", sourcesContent: false, minifyWhitespace: true, logLevel: "silent" });
  return out;
}

describe("sourceMappedStack", () => {
  it("rewrites a bundled frame (a path or a file URL) to the TypeScript file, line and column, and keeps the other lines", async () => {
    const out = await bundled();
    // where V8 puts the frame of `throw new TypeError(...)` in the generated file: the `new` (1-based)
    const text = readFileSync(out, "utf8");
    const at = text.indexOf("new TypeError");
    const line = text.slice(0, at).split("\n").length;
    const column = at - text.lastIndexOf("\n", at - 1);
    const src = join(dir, "src", "thrower.ts");
    for (const where of [out, pathToFileURL(out).href]) {
      const stack = `TypeError: boom\n    at fail (${where}:${line}:${column})\n    at ${where}:${line}:${column}\n    at run (node:internal/x:1:1)`;
      expect(sourceMappedStack(stack)).toBe(`TypeError: boom\n    at fail (${src}:3:9)\n    at ${src}:3:9\n    at run (node:internal/x:1:1)`);
    }
    // pino's err serializer: the logged stack is the mapped one
    const err = Object.assign(new TypeError("boom"), { stack: `TypeError: boom\n    at fail (${out}:${line}:${column})` });
    const logged = sourceMappedErrSerializer((e) => ({ type: e.name, message: e.message, stack: e.stack }))(err);
    expect(logged.stack).toBe(`TypeError: boom\n    at fail (${src}:3:9)`);
  });

  it("leaves frames without a map as they are and never throws on odd text", () => {
    const stack = "Error: x\n    at f (node:internal/fs:1:2)\n    at /nowhere/file.js:3:4\n    at g (file:///%zz.js:1:1)\nnot a frame";
    expect(sourceMappedStack(stack)).toBe(stack);
  });
});
