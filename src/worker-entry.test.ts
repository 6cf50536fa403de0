import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { workerEntryUrl } from "./worker-entry.js";

const root = mkdtempSync(join(tmpdir(), "agentd-worker-entry-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const file = (rel: string) => {
  const path = join(root, rel);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, "");
  return pathToFileURL(path).href;
};

describe("workerEntryUrl", () => {
  it("finds the entry beside the module, with the module's own extension", () => {
    const from = file("tree/src/vault/indexer.js");
    file("tree/src/vault/reconcile-worker.js");
    expect(workerEntryUrl(from, "src/vault/reconcile-worker")?.href).toBe(pathToFileURL(join(root, "tree/src/vault/reconcile-worker.js")).href);
    const ts = file("ts/src/tools/extract.ts");
    file("ts/src/tools/extract-worker.ts");
    expect(workerEntryUrl(ts, "src/tools/extract-worker")?.href).toBe(pathToFileURL(join(root, "ts/src/tools/extract-worker.ts")).href);
  });

  it("finds the tsc output above a bundled module, and says null when there is none", () => {
    const bundled = file("pkg/dist/bundle/chunk-ABC.js");
    file("pkg/dist/src/vault/reconcile-worker.js");
    expect(workerEntryUrl(bundled, "src/vault/reconcile-worker")?.href).toBe(pathToFileURL(join(root, "pkg/dist/src/vault/reconcile-worker.js")).href);
    expect(workerEntryUrl(bundled, "src/tools/extract-worker")).toBeNull();
  });
});
