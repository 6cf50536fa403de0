import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { MessageChannel, Worker } from "node:worker_threads";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { ParseFeed, prepareNote } from "./reconcile-parse.js";
import { FIXTURE_VAULT } from "./test-support.js";
import { Vault } from "./vault.js";

const bases: string[] = [];
afterAll(() => {
  for (const b of bases) rmSync(b, { recursive: true, force: true });
});

/** The fixture vault plus `count` generated notes (frontmatter, aliases, repeated basenames, code blocks, tags). */
function makeVault(count = 0): string {
  const base = mkdtempSync(join(tmpdir(), "agentd-parse-"));
  bases.push(base);
  const dir = join(base, "vault");
  cpSync(FIXTURE_VAULT, dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    mkdirSync(join(dir, "gen", `f${i % 4}`), { recursive: true });
    const fm = i % 3 === 0 ? `---\ntags: [gen/t${i % 5}]\naliases: [Gen Alias ${i}]\nrelated: "[[Home]]"\n---\n` : "";
    const code = i % 7 === 0 ? "\n```\n[[Not A Link]] #notatag\n```\n" : "";
    writeFileSync(join(dir, "gen", `f${i % 4}`, `Gen ${i % 750}.md`), `${fm}# Gen ${i}\n\nSee [[Gen ${(i * 7) % 750}]], [[Gen Alias ${i - (i % 3)}|alias]] and [[Plan#Goals]]. #g${i % 9} okapi${i % 13}\n${code}`);
  }
  return dir;
}

/** Everything a user can read of an indexed vault: list, graph, each note with links and backlinks, searches. */
function snapshot(vault: Vault): unknown {
  const notes = vault.list().notes.map(({ mtimeMs: _m, ...n }) => n);
  const reads = notes.map((n) => {
    const { links, backlinks, tags, aliases, title } = vault.read(n.path);
    return { path: n.path, links, backlinks, tags, aliases, title };
  });
  const searches = ["okapi3", "gen", "alias", "plan goals", "home"].map((q) => vault.search({ q, limit: 100 }).hits);
  return { notes, reads, graph: vault.graph(), searches, tagged: vault.search({ q: "gen", tag: "g4", limit: 100 }).hits };
}

/** Indexes `dir` into the index file named `name` (cold when new, warm when indexed before). */
async function indexWith(dir: string, parseWorkerMinNotes: number, name = String(parseWorkerMinNotes)) {
  const indexDbPath = join(dir, "..", `index-${name}.db`);
  const logs: { msg: string; workers?: number }[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const vault = new Vault({ dir, indexDbPath, logger, watch: false, workerMinNotes: 1, parseWorkerMinNotes });
  try {
    await vault.start();
    await vault.ready();
    const workers = logs.find((l) => l.msg === "vault: index reconciled")?.workers;
    const { filesRead, notesParsed, notesUnchanged } = vault.stats;
    return { snap: snapshot(vault), filesRead, notesParsed, notesUnchanged, workers };
  } finally {
    await vault.stop();
  }
}

describe("a reconcile whose notes are read and parsed in a second worker thread", () => {
  it("indexes exactly what the single worker indexes, cold and warm (titles, tags, links as Obsidian resolves them, search)", async () => {
    const dir = makeVault(1500);
    const single = await indexWith(dir, Infinity);
    // the parse worker starts in ~50-150 ms and the writer reads notes itself until it delivers, so on a busy
    // machine a run may finish before it delivered anything: index again (a new index file each time) until a run
    // used its notes, and compare that run (on a one-core machine it never delivers: the first run is compared)
    let pipedName = "piped-0";
    let piped = await indexWith(dir, 1, pipedName);
    for (let attempt = 1; attempt < 5 && availableParallelism() > 1 && piped.workers !== 2; attempt++) piped = await indexWith(dir, 1, (pipedName = `piped-${attempt}`));
    expect(piped.snap).toEqual(single.snap);
    expect(piped.notesParsed).toBe(single.notesParsed);
    expect(piped.filesRead).toBe(single.filesRead);
    expect(single.notesParsed).toBeGreaterThan(1500);
    expect(single.workers).toBe(1);
    // the parse worker delivered notes in the run compared (one of five attempts on a machine with 2+ cores)
    if (availableParallelism() > 1) expect(piped.workers).toBe(2);

    // Warm, after changes made while agentd was stopped: every generated note rewritten (a third with new
    // content and aliases, the rest byte for byte: re-read, hash unchanged), 50 deleted.
    for (let i = 0; i < 1500; i++) {
      const file = join(dir, "gen", `f${i % 4}`, `Gen ${i % 750}.md`);
      if (i % 30 === 1) rmSync(file);
      else if (i % 3 === 2) writeFileSync(file, `---\naliases: [Moved ${i}]\n---\n# Moved ${i}\n\n[[Moved ${i + 3}]] [[Gen Alias ${i - 2}]] #moved\n`);
      else writeFileSync(file, readFileSync(file));
    }
    const singleWarm = await indexWith(dir, Infinity);
    const pipedWarm = await indexWith(dir, 1, pipedName);
    expect(pipedWarm.snap).toEqual(singleWarm.snap);
    expect(pipedWarm.notesParsed).toBe(singleWarm.notesParsed);
    expect(pipedWarm.notesUnchanged).toBe(singleWarm.notesUnchanged);
    expect(singleWarm.notesParsed).toBe(500); // the rewritten third
  });
});

describe("ParseFeed", () => {
  it("hands out what the parse worker delivered, and null for what it did not (the writer reads that itself)", async () => {
    const dir = makeVault();
    const home = prepareNote(dir, "Home.md");
    const plan = prepareNote(dir, "Plan.md");
    expect("note" in home && home.note.title).toBeTruthy();
    const { port1, port2 } = new MessageChannel();
    // A parse worker that delivers the 1st and 3rd notes of the plan and dies.
    const worker = new Worker(
      `const { workerData: d } = require("node:worker_threads"); d.port.postMessage({ notes: [[0, d.home], [2, d.plan]] }); process.exit(3);`,
      { eval: true, workerData: { port: port2, home, plan }, transferList: [port2] },
    );
    await once(worker, "exit");
    const taken = new Int32Array(new SharedArrayBuffer(4));
    const feed = new ParseFeed(worker, port1, taken);
    expect(feed.take("Home.md")).toEqual(home);
    expect(feed.take("Ideas.md")).toBeNull();
    expect(feed.take("Plan.md")).toEqual(plan);
    expect(feed.take("Other.md")).toBeNull();
    expect(taken[0]).toBe(4); // the parse worker skips what the writer has taken
    expect(feed.delivered).toBe(2);
    await feed.close();
  });

  it("reports a note that is not a file as gone", () => {
    const dir = makeVault();
    expect(prepareNote(dir, "No Such Note.md")).toEqual({ rel: "No Such Note.md", gone: true });
    expect(prepareNote(dir, "gen")).toEqual({ rel: "gen", gone: true });
  });
});
