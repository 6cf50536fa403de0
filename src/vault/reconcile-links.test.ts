import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { IndexDb } from "./index-db.js";
import { Vault } from "./vault.js";

// A reconcile re-resolves only the links whose key its changes touched (a note added or gone, an alias set, an
// attachment seen); these cases must still end with every link resolved as Obsidian would, on both paths.
let base: string | undefined;
afterEach(() => {
  if (base) rmSync(base, { recursive: true, force: true });
  base = undefined;
});

function put(dir: string, rel: string, text: string): void {
  mkdirSync(join(dir, rel, ".."), { recursive: true });
  writeFileSync(join(dir, rel), text);
}

async function open(dir: string, workerMinNotes: number, parseWorkerMinNotes: number): Promise<Vault> {
  const vault = new Vault({ dir, indexDbPath: join(base!, "vault-index.db"), logger: pino({ level: "silent" }), watch: false, workerMinNotes, parseWorkerMinNotes });
  await vault.start();
  await vault.ready();
  return vault;
}

/** Where the stored links of `source` point, as the graph shows them (an unresolved target by its lower-cased name). */
const edgesFrom = (vault: Vault, source: string): string[] =>
  vault.graph().edges.filter((e) => e.source === source).map((e) => e.target).sort();

describe.each([
  ["in the worker thread", 1, Infinity],
  ["in the worker thread, notes parsed in a second one", 1, 1],
  ["on the main thread", Infinity, Infinity],
])("links after a reconcile %s", (_where, workerMinNotes, parseWorkerMinNotes) => {
  it("resolve to aliases, notes and attachments that appear or vanish, cold and warm", async () => {
    base = mkdtempSync(join(tmpdir(), "agentd-relink-"));
    const dir = join(base, "vault");
    put(dir, "a/First.md", "Links [[Later Alias]], [[Zed]] and ![[img.png]]. #first\n");
    put(dir, "z/Zeta.md", "---\naliases: [Later Alias]\n---\nBack to [[First]] and [[Early Alias]].\n");
    put(dir, "0/Origin.md", "---\naliases: [Early Alias]\n---\n# Origin\n");

    let vault = await open(dir, workerMinNotes, parseWorkerMinNotes);
    // a/First.md is indexed before z/Zeta.md sets the alias it links to
    expect(edgesFrom(vault, "a/First.md")).toEqual(["img.png", "z/Zeta.md", "zed"]);
    expect(edgesFrom(vault, "z/Zeta.md")).toEqual(["0/Origin.md", "a/First.md"]);
    expect(vault.read("z/Zeta.md").backlinks.map((b) => b.path)).toEqual(["a/First.md"]);
    expect(vault.search({ q: "links", tag: "first" }).hits.map((h) => h.path)).toEqual(["a/First.md"]);
    await vault.stop();

    // Changed while agentd was not running: a note and an attachment appear, an alias moves, a note is deleted.
    put(dir, "Zed.md", "# Zed\n");
    put(dir, "img.png", "not really a png");
    put(dir, "z/Zeta.md", "---\naliases: [Other]\n---\nBack to [[First]] and [[Early Alias]].\n");
    rmSync(join(dir, "0/Origin.md"));
    vault = await open(dir, workerMinNotes, parseWorkerMinNotes);
    expect(edgesFrom(vault, "a/First.md")).toEqual(["Zed.md", "later alias"]); // img.png: an attachment now
    expect(edgesFrom(vault, "z/Zeta.md")).toEqual(["a/First.md", "early alias"]);
    expect(vault.read("Zed.md").backlinks.map((b) => b.path)).toEqual(["a/First.md"]);
    expect(vault.read("z/Zeta.md").backlinks).toEqual([]);
    await vault.stop();
  });

  it("re-resolves every link after a reconcile that stopped before re-resolving its own", async () => {
    base = mkdtempSync(join(tmpdir(), "agentd-relink-"));
    const dir = join(base, "vault");
    put(dir, "a/First.md", "Links [[Later Alias]].\n");
    put(dir, "z/Zeta.md", "---\naliases: [Later Alias]\n---\nBody.\n");
    let vault = await open(dir, workerMinNotes, parseWorkerMinNotes);
    await vault.stop();
    // What a stop in the middle of a reconcile leaves: the pending mark, and a link resolved before its alias existed.
    const index = new IndexDb(join(base, "vault-index.db"), { rebuild: false });
    for (const link of index.stmts.linksAfter.all(0, 100)) index.stmts.setResolved.run(null, link.rowid);
    index.stmts.setState.run("links_pending", "1");
    index.close();
    vault = await open(dir, workerMinNotes, parseWorkerMinNotes); // nothing changed on disk
    expect(edgesFrom(vault, "a/First.md")).toEqual(["z/Zeta.md"]);
    await vault.stop();
  });
});

