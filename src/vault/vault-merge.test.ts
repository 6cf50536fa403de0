import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IndexDb, MERGE_PENDING } from "./index-db.js";
import type { Indexer } from "./indexer.js";
import { ftsSegments } from "./test-support.js";
import { Vault } from "./vault.js";

let base: string;
const logger = pino({ level: "silent" });

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), "agentd-merge-"));
  mkdirSync(join(base, "vault", "gen"), { recursive: true });
  const filler = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(20);
  for (let i = 0; i < 1500; i++) writeFileSync(join(base, "vault", "gen", `Note ${i}.md`), `# Note ${i}\n\n[[Note ${(i + 1) % 1500}]] okapi${i % 7} ${filler}\n`);
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** The number of FTS5 segments in an index file, and whether it is marked as owing a merge. */
function segmentsOf(db: string): number {
  return inIndex(db, (index) => ftsSegments(index));
}
function mergeOwed(db: string): boolean {
  return inIndex(db, (index) => index.stmts.getState.get(MERGE_PENDING) !== undefined);
}
function inIndex<T>(db: string, read: (index: IndexDb) => T): T {
  const index = new IndexDb(join(base, db), { rebuild: false });
  try {
    return read(index);
  } finally {
    index.close();
  }
}

/** The vault's indexer, to wait for the worker's background work (not part of the Vault API). */
const indexerOf = (vault: Vault): Indexer => (vault as unknown as { indexer: Indexer }).indexer;

// A commit every few steps leaves many FTS5 segments, so the merge after the cold index has real work.
const options = (db: string) => ({ dir: join(base, "vault"), indexDbPath: join(base, db), logger, watch: false, workerMinNotes: 100, commitEveryMs: 1 });

describe("a cold index in the worker: complete first, FTS5 segments merged after", () => {
  it("answers searches at ready(), then merges the segments into one in the background, with the same results", async () => {
    const queries = ["okapi3", "lorem", "note 12", "okap", '"dolor sit"'];
    // Control: the same cold index on the main thread (no merge there) leaves several segments.
    const control = new Vault({ ...options("control.db"), workerMinNotes: Infinity });
    await control.start();
    await control.ready();
    const expected = queries.map((q) => control.search({ q, limit: 100 }).hits);
    await control.stop();
    expect(segmentsOf("control.db")).toBeGreaterThan(1);

    const vault = new Vault(options("a.db"));
    try {
      await vault.start();
      await vault.ready();
      expect(vault.list().notes).toHaveLength(1500);
      expect(queries.map((q) => vault.search({ q, limit: 100 }).hits)).toEqual(expected);
      await indexerOf(vault).idle();
      expect(segmentsOf("a.db")).toBe(1);
      expect(queries.map((q) => vault.search({ q, limit: 100 }).hits)).toEqual(expected); // same hits, scores, snippets
      expect(expected[0]!.length).toBeGreaterThan(0);
    } finally {
      await vault.stop();
    }
  });

  it("indexes API writes made during the merge before settled() resolves", async () => {
    const vault = new Vault(options("c.db"));
    try {
      await vault.start();
      await vault.ready();
      let idle = false;
      void indexerOf(vault).idle().then(() => (idle = true));
      let beforeIdle = 0;
      for (let i = 0; !idle || i < 3; i++) {
        if (!idle) beforeIdle++;
        vault.write(`Fresh ${i}.md`, { content: `The quagga${i}q links to [[Note 3]].` });
        await vault.settled();
        expect(vault.search({ q: `quagga${i}q` }).hits.map((h) => h.path)).toEqual([`Fresh ${i}.md`]);
        expect(vault.read("gen/Note 3.md").backlinks.map((b) => b.path)).toContain(`Fresh ${i}.md`);
        await new Promise((r) => setImmediate(r)); // let the worker's messages in, as a busy daemon would
      }
      expect(beforeIdle).toBeGreaterThan(0); // the first write came before the worker had exited
      for (let i = 0; vault.list().notes.some((n) => n.path === `Fresh ${i}.md`); i++) vault.delete(`Fresh ${i}.md`);
    } finally {
      await vault.stop();
    }
  });

  it("indexes a write on this thread at once when the worker has closed the index but its exit is not handled yet", async () => {
    const vault = new Vault(options("d.db"));
    try {
      await vault.start();
      await vault.ready();
      const run = (indexerOf(vault) as unknown as { urgent?: { closedIndex: boolean } }).urgent;
      expect(run).toBeDefined(); // the worker's background work had not ended when ready() resolved
      // Wait without yielding to the event loop, so the worker's exit event cannot be handled meanwhile.
      const nap = new Int32Array(new SharedArrayBuffer(4));
      for (let i = 0; i < 6000 && !run!.closedIndex; i++) Atomics.wait(nap, 0, 0, 5);
      expect(run!.closedIndex).toBe(true);
      vault.write("Late.md", { content: "The late wombat9q links to [[Note 5]]." });
      // no await: indexed synchronously, as any write when no reconcile runs
      expect(vault.search({ q: "wombat9q" }).hits.map((h) => h.path)).toEqual(["Late.md"]);
      expect(vault.read("gen/Note 5.md").backlinks.map((b) => b.path)).toContain("Late.md");
      vault.delete("Late.md");
    } finally {
      await vault.stop();
    }
  });

  it("stops promptly when asked during the merge, and a restart has every note without reading any", async () => {
    const first = new Vault(options("b.db"));
    await first.start();
    await first.ready();
    await first.stop(); // aborts the merge; waits for the worker to exit
    expect(segmentsOf("b.db")).toBeGreaterThan(1);
    expect(mergeOwed("b.db")).toBe(true);
    const again = new Vault(options("b.db"));
    try {
      await again.start();
      await again.ready();
      expect(again.stats.filesRead).toBe(0);
      expect(again.list().notes).toHaveLength(1500);
      expect(again.search({ q: "okapi3", limit: 100 }).hits).toHaveLength(100);
      expect(again.search({ q: "okapi1 note 1499" }).hits.map((h) => h.path)).toEqual(["gen/Note 1499.md"]);
      // the merge the stop interrupted is finished in the background, not left to a later write on this thread
      await indexerOf(again).idle();
      expect(segmentsOf("b.db")).toBe(1);
      expect(mergeOwed("b.db")).toBe(false);
    } finally {
      await again.stop();
    }
  });
});
