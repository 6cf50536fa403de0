import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ToolContext } from "../agent/tools/tool.js";
import { vaultTools } from "./tools.js";
import { Vault } from "./vault.js";

const ctx: ToolContext = { signal: new AbortController().signal, sessionId: "s", runId: "r", logger: pino({ level: "silent" }) };
let base: string;
let vault: Vault;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), "agentd-settled-"));
  mkdirSync(join(base, "vault", "gen"), { recursive: true });
  const filler = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(30);
  for (let i = 0; i < 1500; i++) writeFileSync(join(base, "vault", "gen", `Note ${i}.md`), `# Note ${i}\n\n[[Note ${(i + 1) % 1500}]] ${filler}\n`);
});
afterAll(async () => {
  await vault?.stop();
  rmSync(base, { recursive: true, force: true });
});

describe("the agent's vault tools during a reconcile in the worker thread", () => {
  it("vault_write answers once vault_search and backlinks see the note", async () => {
    vault = new Vault({ dir: join(base, "vault"), indexDbPath: join(base, "vault-index.db"), logger: pino({ level: "silent" }), watch: false, workerMinNotes: 100 });
    await vault.start(); // the cold index of 1,500 notes starts in the background
    const tool = (name: string) => vaultTools(vault).find((t) => t.name === name)!;
    let duringReconcile = 0;
    // write and read back until the reconcile (walk and stat here, then the worker thread) is over
    for (let i = 0; i < 5000; i++) {
      const indexing = vault.indexing;
      expect(await tool("vault_write").run({ path: `Fresh ${i}`, content: `The okapi${i}q links to [[Note 3]].` }, ctx)).toBe(`created Fresh ${i}.md`);
      expect(await tool("vault_search").run({ query: `okapi${i}q` }, ctx)).toMatch(new RegExp(`^Fresh ${i}\\.md \\|`));
      expect(vault.read("gen/Note 3.md").backlinks.map((b) => b.path)).toContain(`Fresh ${i}.md`);
      if (indexing && vault.indexing) duringReconcile++;
      if (!vault.indexing) break;
      await new Promise((r) => setImmediate(r)); // let the worker's messages in, as a busy daemon would
    }
    expect(duringReconcile).toBeGreaterThan(0); // the case was exercised
    await vault.ready();
  });
});
