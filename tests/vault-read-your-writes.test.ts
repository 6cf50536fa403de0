/**
 * Issue 17 item 8: a write through agentd (REST or the protocol) is seen by the next search and backlinks read,
 * also while the start-up reconcile of a big vault runs (2,000 notes, indexed from cold in the worker thread).
 * Real daemon through the CLI.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startFakeLlm, type FakeLlm } from "./support/fake-llm.js";
import { cleanup, initAgent, startDaemon, type RunningDaemon } from "./support/daemon.js";
import { RawWs } from "./support/raw-ws.js";

const NOTES = 2_000;
let llm: FakeLlm;
let d: RunningDaemon;
let dir: string;

beforeAll(async () => {
  llm = await startFakeLlm();
  ({ dir } = await initAgent({ llmUrl: llm.url }));
  const vault = join(dir, "vault");
  mkdirSync(join(vault, "gen"), { recursive: true });
  const filler = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore. ".repeat(20);
  for (let i = 0; i < NOTES; i++) {
    writeFileSync(join(vault, "gen", `Note ${i}.md`), `---\ntags: [gen]\n---\n# Note ${i}\n\nSee [[Note ${(i + 1) % NOTES}]] and [[Note ${(i * 7) % NOTES}]].\n\n${filler}\n`);
  }
});
afterAll(async () => {
  await d?.stop();
  await llm?.close();
  if (dir) cleanup(join(dir, ".."));
});

describe("reads after a write while the vault reconciles", () => {
  it("search and backlinks include a note written over REST or WS right away, during the reconcile of 2,000 notes", async () => {
    d = await startDaemon(dir);
    const ws = await RawWs.connect(`ws://127.0.0.1:${d.port}/ws`, d.token);
    let duringReconcile = 0;
    try {
      for (let i = 0; ; i++) {
        const word = `zebrafish${i}x`;
        const path = `Fresh ${i}.md`;
        const content = `# Fresh ${i}\n\nThe ${word} links to [[Note 17]].\n`;
        // a write over REST, then one over the protocol
        const viaWs = i % 2 === 1;
        if (viaWs) expect((await ws.request("vault.write", { path, content })).ok).toBe(true);
        else expect((await d.api(`/api/vault/notes/${encodeURIComponent(path)}`, { method: "PUT", body: JSON.stringify({ content }) })).status).toBe(200);

        const search = viaWs
          ? (await ws.request("vault.search", { q: word })).result
          : await (await d.api(`/api/vault/search?q=${word}`)).json();
        const { hits, indexing } = search as { hits: Array<{ path: string }>; indexing: boolean };
        if (indexing) duringReconcile++;
        expect(hits.map((h) => h.path), `search right after writing ${path} (indexing: ${indexing})`).toEqual([path]);

        const target = viaWs
          ? (await ws.request("vault.read", { path: "gen/Note 17.md" })).result
          : await (await d.api(`/api/vault/notes/${encodeURIComponent("gen/Note 17.md")}`)).json();
        expect((target as { backlinks: Array<{ path: string }> }).backlinks.map((b) => b.path), `backlinks right after writing ${path}`).toContain(path);
        if (!indexing || i >= 40) break;
      }
    } finally {
      await ws.close();
    }
    // the case of the issue was exercised: at least one write was read back while the reconcile ran
    expect(duringReconcile).toBeGreaterThan(0);
  });
});
