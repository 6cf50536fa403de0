import Database from "better-sqlite3";
import { mkdirSync, renameSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { tempVault, waitFor } from "./test-support.js";
import { Vault } from "./vault.js";

const silent = pino({ level: "silent" });
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function watched() {
  const t = await tempVault({ watch: true });
  cleanups.push(t.cleanup);
  return t;
}

const hits = (vault: Vault, q: string) => vault.search({ q }).hits.map((h) => h.path);
const backlinks = (vault: Vault, p: string) => vault.read(p).backlinks.map((b) => b.path);

describe("watcher: outside edits show up within a second", () => {
  it("create, edit, rename and delete by another program", async () => {
    const { vault, dir } = await watched();
    writeFileSync(join(dir, "Outside.md"), "Written by Obsidian: quokka. [[Ideas]]\n");
    await waitFor(() => hits(vault, "quokka").includes("Outside.md"));
    await waitFor(() => backlinks(vault, "Ideas.md").includes("Outside.md"));

    writeFileSync(join(dir, "Outside.md"), "Edited: wombat. [[Plan]]\n");
    await waitFor(() => hits(vault, "wombat").includes("Outside.md") && hits(vault, "quokka").length === 0);
    await waitFor(() => !backlinks(vault, "Ideas.md").includes("Outside.md") && backlinks(vault, "Plan.md").includes("Outside.md"));

    renameSync(join(dir, "Outside.md"), join(dir, "Projects", "Moved.md"));
    await waitFor(() => hits(vault, "wombat").join() === "Projects/Moved.md");
    // From Projects/, [[Plan]] still resolves to the root Plan.md (exact path wins).
    await waitFor(() => backlinks(vault, "Plan.md").includes("Projects/Moved.md") && !backlinks(vault, "Plan.md").includes("Outside.md"));

    rmSync(join(dir, "Projects", "Moved.md"));
    await waitFor(() => hits(vault, "wombat").length === 0 && !backlinks(vault, "Plan.md").includes("Projects/Moved.md"));
  });

  it("a renamed note turns links to it unresolved, and a git-pull-like folder move is followed", async () => {
    const { vault, dir } = await watched();
    renameSync(join(dir, "Ideas.md"), join(dir, "Thoughts.md"));
    await waitFor(() => vault.read("Home.md").links[0]?.resolved === null);
    expect(vault.graph().nodes.some((n) => n.id === "ideas" && n.unresolved)).toBe(true);

    renameSync(join(dir, "Archive"), join(dir, "Old Archive"));
    await waitFor(() => {
      const paths = vault.list().notes.map((n) => n.path);
      return paths.includes("Old Archive/2023/Notes.md") && !paths.some((p) => p.startsWith("Archive/"));
    });
    await waitFor(() => vault.read("Café Menü.md").links[2]?.resolved === "Old Archive/2023/Notes.md");
  });

  it("follows attachments appearing and vanishing (embeds resolve or not)", async () => {
    const { vault, dir } = await watched();
    const embed = () => vault.read("Home.md").links.find((l) => l.kind === "embed" && l.target === "Diagram.png")?.resolved;
    expect(embed()).toBe("attachments/Diagram.png");
    renameSync(join(dir, "attachments", "Diagram.png"), join(dir, "Diagram.png"));
    await waitFor(() => embed() === "Diagram.png");
    rmSync(join(dir, "Diagram.png"));
    await waitFor(() => embed() === null);
    expect(vault.graph().nodes.find((n) => n.id === "diagram.png")?.unresolved).toBe(true);
  });

  it("ignores hidden folders", async () => {
    const { vault, dir } = await watched();
    writeFileSync(join(dir, ".obsidian", "hidden.md"), "platypus\n");
    mkdirSync(join(dir, ".trash", "deep"), { recursive: true });
    writeFileSync(join(dir, ".trash", "deep", "gone.md"), "platypus\n");
    writeFileSync(join(dir, "Visible.md"), "echidna\n");
    await waitFor(() => hits(vault, "echidna").length === 1);
    expect(hits(vault, "platypus")).toEqual([]);
  });

  it("does not parse API writes a second time when the watcher sees them", async () => {
    const { vault } = await watched();
    const before = vault.stats;
    vault.write("Api.md", { content: "from the api: narwhal\n" });
    expect(hits(vault, "narwhal")).toEqual(["Api.md"]);
    await waitFor(() => vault.stats.notesUnchanged > before.notesUnchanged);
    expect(vault.stats.notesParsed).toBe(before.notesParsed + 1);
  });
});

describe("reconcile at start", () => {
  it("does not re-read unchanged notes; reads changed ones and parses only new content", async () => {
    const t = await tempVault();
    cleanups.push(t.cleanup);
    expect(t.vault.stats).toMatchObject({ filesRead: 11, notesParsed: 11 });
    await t.vault.stop();

    writeFileSync(join(t.dir, "Plan.md"), "# Root Plan\n\nRewritten: ocelot.\n");
    writeFileSync(join(t.dir, "New.md"), "brand new [[Plan]]\n");
    rmSync(join(t.dir, "Archive", "Tasks.md"));
    rmSync(join(t.dir, "attachments", "Diagram.png"));
    utimesSync(join(t.dir, "Ideas.md"), new Date(), new Date(Date.now() + 5000)); // touched, same bytes

    const again = new Vault({ dir: t.dir, indexDbPath: t.indexDbPath, logger: silent, watch: false });
    cleanups.push(() => again.stop());
    await again.start();
    await again.ready();
    expect(again.stats).toMatchObject({ filesRead: 3, notesParsed: 2, notesUnchanged: 8 + 1 });
    expect(hits(again, "ocelot")).toEqual(["Plan.md"]);
    expect(backlinks(again, "Plan.md")).toContain("New.md");
    expect(again.read("Projects/Sub/Deep.md").links[0]?.resolved).toBe("Projects/Tasks.md");
    expect(again.list().notes.some((n) => n.path === "Archive/Tasks.md")).toBe(false);
    expect(again.read("Projects/Plan.md").links.at(-1)).toMatchObject({ target: "Diagram.png", resolved: null });
    expect(again.graph().nodes.some((n) => n.id === "diagram.png" && n.unresolved)).toBe(true);
  });

  it("runs the reconcile in a worker thread (no fallback to the main thread)", async () => {
    const lines: string[] = [];
    const logger = pino({ level: "debug" }, { write: (l: string) => void lines.push(l) });
    const t = await tempVault({ logger, workerMinNotes: 0 });
    cleanups.push(t.cleanup);
    expect(lines.some((l) => l.includes("index reconciled"))).toBe(true);
    expect(lines.filter((l) => l.includes("worker failed"))).toEqual([]);
    expect(t.vault.stats).toMatchObject({ reconciles: 1, filesRead: 11, notesParsed: 11 });
    expect(t.vault.read("Home.md").backlinks.map((b) => b.path)).toEqual(["Daily Notes/2024-01-01.md", "Ideas.md", "Projects/Plan.md"]);
    expect(t.vault.read("Projects/Plan.md").links.at(-1)?.resolved).toBe("attachments/Diagram.png");
  });

  it("can reconcile on the main thread in time slices too", async () => {
    const t = await tempVault({ workerMinNotes: Infinity, sliceMs: 1 });
    cleanups.push(t.cleanup);
    expect(t.vault.stats).toMatchObject({ filesRead: 11, notesParsed: 11, reconciles: 1 });
    expect(t.vault.read("Home.md").backlinks.length).toBe(3);
  });

  it("rebuilds the index when it is deleted or its schema version changes", async () => {
    const t = await tempVault();
    cleanups.push(t.cleanup);
    await t.vault.stop();
    const db = new Database(t.indexDbPath);
    db.pragma("user_version = 999");
    db.close();
    const again = new Vault({ dir: t.dir, indexDbPath: t.indexDbPath, logger: silent, watch: false });
    cleanups.push(() => again.stop());
    await again.start();
    await again.ready();
    expect(again.stats.notesParsed).toBe(11);
    expect(again.read("Home.md").backlinks.length).toBe(3);
  });

  it("start() returns before indexing ends; search answers meanwhile and says it is indexing", async () => {
    const t = await tempVault({ empty: true });
    cleanups.push(t.cleanup);
    await t.vault.stop();
    for (let i = 0; i < 3000; i++) {
      const folder = join(t.dir, `f${i % 20}`);
      if (i < 20) mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, `n${i}.md`), `# Note ${i}\n\nkiwi ${i} links to [[n${(i * 7) % 3000}]] #t${i % 10}\n`);
    }
    const v = new Vault({ dir: t.dir, indexDbPath: t.indexDbPath + "2", logger: silent, watch: false });
    cleanups.push(() => v.stop());
    const t0 = performance.now();
    await v.start();
    expect(performance.now() - t0).toBeLessThan(100);
    expect(v.indexing).toBe(true);
    const early = v.search({ q: "kiwi", limit: 100 });
    expect(early.indexing).toBe(true);
    await v.ready();
    expect(v.indexing).toBe(false);
    expect(v.list().notes.length).toBe(3000);
    expect(v.read("f1/n1.md").links[0]?.resolved).toBe("f7/n7.md");
    expect(v.search({ q: "kiwi", tag: "t3", limit: 100 }).hits.length).toBe(100);
    await v.stop();

    // Stopping in the middle of a cold index (worker running) is clean, and the next start finishes the job.
    const w = new Vault({ dir: t.dir, indexDbPath: t.indexDbPath + "3", logger: silent, watch: false });
    await w.start();
    await new Promise((r) => setTimeout(r, 30));
    await w.stop();
    const again = new Vault({ dir: t.dir, indexDbPath: t.indexDbPath + "3", logger: silent, watch: false });
    cleanups.push(() => again.stop());
    await again.start();
    await again.ready();
    expect(again.list().notes.length).toBe(3000);
    expect(again.read("f1/n1.md").links[0]?.resolved).toBe("f7/n7.md");
  });
});
