import { writeFileSync, mkdirSync, cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MessageChannel, Worker } from "node:worker_threads";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { ParseFeed, prepareNote, type PreparedNote } from "./reconcile-parse.js";
import { FIXTURE_VAULT } from "./test-support.js";
import { Vault } from "./vault.js";

const bases: string[] = [];
afterAll(() => {
  for (const b of bases) rmSync(b, { recursive: true, force: true });
});

/** The fixture vault plus 300 generated notes (frontmatter, aliases, repeated basenames, code blocks, tags). */
function makeVault(): string {
  const base = mkdtempSync(join(tmpdir(), "agentd-parse-"));
  bases.push(base);
  const dir = join(base, "vault");
  cpSync(FIXTURE_VAULT, dir, { recursive: true });
  for (let i = 0; i < 300; i++) {
    mkdirSync(join(dir, "gen", `f${i % 4}`), { recursive: true });
    const fm = i % 3 === 0 ? `---\ntags: [gen/t${i % 5}]\naliases: [Gen Alias ${i}]\nrelated: "[[Home]]"\n---\n` : "";
    const code = i % 7 === 0 ? "\n```\n[[Not A Link]] #notatag\n```\n" : "";
    writeFileSync(join(dir, "gen", `f${i % 4}`, `Gen ${i % 150}.md`), `${fm}# Gen ${i}\n\nSee [[Gen ${(i * 7) % 150}]], [[Gen Alias ${i - (i % 3)}|alias]] and [[Plan#Goals]]. #g${i % 9} okapi${i % 13}\n${code}`);
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

async function indexWith(dir: string, parseWorkerMinNotes: number): Promise<{ snap: unknown; filesRead: number; notesParsed: number }> {
  const indexDbPath = join(dir, "..", `index-${parseWorkerMinNotes}.db`);
  const vault = new Vault({ dir, indexDbPath, logger: pino({ level: "silent" }), watch: false, workerMinNotes: 1, parseWorkerMinNotes });
  try {
    await vault.start();
    await vault.ready();
    return { snap: snapshot(vault), filesRead: vault.stats.filesRead, notesParsed: vault.stats.notesParsed };
  } finally {
    await vault.stop();
  }
}

describe("a reconcile whose notes are read and parsed in a second worker thread", () => {
  it("indexes exactly what the single worker indexes (titles, tags, links as Obsidian resolves them, search)", async () => {
    const dir = makeVault();
    const single = await indexWith(dir, Infinity);
    const piped = await indexWith(dir, 1);
    expect(piped.snap).toEqual(single.snap);
    expect(piped.notesParsed).toBe(single.notesParsed);
    expect(piped.filesRead).toBe(single.filesRead);
    expect(single.notesParsed).toBeGreaterThan(300);
  });
});

describe("ParseFeed", () => {
  it("hands out what the parse worker sent, and null for what it never sent once it is gone", async () => {
    const dir = makeVault();
    const note = prepareNote(dir, "Home.md");
    expect("note" in note && note.note.title).toBeTruthy();
    const { port1, port2 } = new MessageChannel();
    // A parse worker that delivers one note and dies without its `done` message.
    const worker = new Worker(
      `const { workerData } = require("node:worker_threads"); workerData.port.postMessage({ notes: [workerData.note] }); process.exit(3);`,
      { eval: true, workerData: { port: port2, note }, transferList: [port2] },
    );
    const taken = new Int32Array(new SharedArrayBuffer(4));
    const feed = new ParseFeed(worker, port1, taken);
    let got: PreparedNote | null | undefined;
    for (let i = 0; i < 400 && got === undefined; i++) {
      got = feed.take("Home.md");
      if (got === undefined) await feed.wait(5);
    }
    expect(got).toEqual(note);
    expect(taken[0]).toBe(1);
    let missing: PreparedNote | null | undefined;
    for (let i = 0; i < 400 && missing === undefined; i++) {
      missing = feed.take("Plan.md");
      if (missing === undefined) await feed.wait(5);
    }
    expect(missing).toBeNull(); // the writer reads it itself
    await feed.close();
  });

  it("reports a note that is not a file as gone", () => {
    const dir = makeVault();
    expect(prepareNote(dir, "No Such Note.md")).toEqual({ rel: "No Such Note.md", gone: true });
    expect(prepareNote(dir, "gen")).toEqual({ rel: "gen", gone: true });
  });
});
