import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VaultGraphResult, VaultListResult, VaultReadResult, VaultSearchResult } from "../../protocol/vault.js";
import { tempVault } from "./test-support.js";
import type { Vault } from "./vault.js";

const NOTES = [
  "Archive/2023/Notes.md",
  "Archive/Notes.md",
  "Archive/Tasks.md",
  "Café Menü.md",
  "Daily Notes/2024-01-01.md",
  "Home.md",
  "Ideas.md",
  "Plan.md",
  "Projects/Plan.md",
  "Projects/Sub/Deep.md",
  "Projects/Tasks.md",
];

let vault: Vault;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ vault, cleanup } = await tempVault());
});
afterAll(async () => cleanup());

const brief = (path: string) => vault.read(path).links.map((l) => [l.kind, l.target, l.resolved, l.heading ?? l.blockId ?? l.display ?? null]);

describe("fixture vault: notes, titles, tags", () => {
  it("indexes exactly the notes, ignoring .obsidian/, .trash/ and attachments", () => {
    expect(vault.list().notes.map((n) => n.path)).toEqual(NOTES);
  });

  it("takes the title from frontmatter, then the first H1, then the file name", () => {
    const titles = Object.fromEntries(vault.list().notes.map((n) => [n.path, n.title]));
    expect(titles).toEqual({
      "Archive/2023/Notes.md": "Notes",
      "Archive/Notes.md": "Notes",
      "Archive/Tasks.md": "Old Tasks",
      "Café Menü.md": "Café Menü",
      "Daily Notes/2024-01-01.md": "2024-01-01",
      "Home.md": "Welcome Home",
      "Ideas.md": "Big Ideas",
      "Plan.md": "Root Plan",
      "Projects/Plan.md": "Project Plan",
      "Projects/Sub/Deep.md": "Deep",
      "Projects/Tasks.md": "Tasks",
    });
  });

  it("finds frontmatter and inline tags, nested and unicode, not in code, comments or headings", () => {
    const tags = Object.fromEntries(vault.list().notes.map((n) => [n.path, n.tags]));
    expect(tags).toEqual({
      "Archive/2023/Notes.md": [],
      "Archive/Notes.md": ["archive"],
      "Archive/Tasks.md": [],
      "Café Menü.md": ["日本語", "food/dessert/sweet"],
      "Daily Notes/2024-01-01.md": ["daily", "journal"],
      "Home.md": ["home", "meta/index", "project/alpha", "status"],
      "Ideas.md": ["heading-tag", "idea"],
      "Plan.md": [],
      "Projects/Plan.md": ["project"],
      "Projects/Sub/Deep.md": [],
      "Projects/Tasks.md": ["project/beta"],
    });
  });

  it("reads aliases (list or string) and frontmatter values as written (dates stay strings)", () => {
    expect(vault.read("Home.md").aliases).toEqual(["Start", "Dashboard"]);
    const daily = vault.read("Daily Notes/2024-01-01.md");
    expect(daily.aliases).toEqual(["New Year"]);
    expect(daily.frontmatter).toEqual({ tags: "daily, journal", aliases: "New Year", created: "2024-01-01" });
  });
});

describe("fixture vault: links", () => {
  it("parses and resolves every kind of link in Home.md, in document order", () => {
    expect(brief("Home.md")).toEqual([
      ["wikilink", "Ideas", "Ideas.md", null],
      ["wikilink", "Projects/Plan", "Projects/Plan.md", "the plan"],
      ["wikilink", "Plan", "Plan.md", null],
      ["wikilink", "Daily Notes/2024-01-01", "Daily Notes/2024-01-01.md", null],
      ["wikilink", "Café Menü", "Café Menü.md", null],
      ["wikilink", "Missing Note", null, null],
      ["wikilink", "Ideas", "Ideas.md", "Big Ideas"],
      ["wikilink", "Ideas", "Ideas.md", "abc123"],
      ["embed", "Diagram.png", "attachments/Diagram.png", null],
      ["embed", "Ideas", "Ideas.md", null],
      ["markdown", "Projects/Plan.md", "Projects/Plan.md", "Plan doc"],
      ["markdown", "Daily Notes/2024-01-01.md", "Daily Notes/2024-01-01.md", "spaced"],
      ["wikilink", "", "Home.md", "Links"],
    ]);
    const links = vault.read("Home.md").links;
    expect(links[7]).toEqual({ kind: "wikilink", target: "Ideas", blockId: "abc123", resolved: "Ideas.md" });
    expect(links[6]).toEqual({ kind: "wikilink", target: "Ideas", heading: "Big Ideas", resolved: "Ideas.md" });
  });

  it("resolves repeated basenames like Obsidian: exact path, then same folder, then shortest path", () => {
    expect(brief("Projects/Plan.md")).toEqual([
      ["wikilink", "Plan", "Plan.md", null],
      ["wikilink", "Tasks", "Projects/Tasks.md", null],
      ["wikilink", "Sub/Deep", "Projects/Sub/Deep.md", null],
      ["wikilink", "../Ideas", "Ideas.md", null],
      ["markdown", "../Home.md", "Home.md", "up"],
      ["wikilink", "Archive/2023/Notes", "Archive/2023/Notes.md", null],
      ["embed", "Diagram.png", "attachments/Diagram.png", "200"],
    ]);
    expect(brief("Projects/Sub/Deep.md")).toEqual([
      ["wikilink", "Tasks", "Archive/Tasks.md", null],
      ["wikilink", "tasks", "Archive/Tasks.md", "Next"],
    ]);
    expect(brief("Projects/Tasks.md")).toEqual([["wikilink", "Notes", "Archive/Notes.md", null]]);
  });

  it("resolves aliases case-insensitively and keeps unresolved links", () => {
    expect(brief("Ideas.md")).toEqual([
      ["wikilink", "Home", "Home.md", null],
      ["wikilink", "Start", "Home.md", null],
      ["wikilink", "dashboard", "Home.md", null],
    ]);
    expect(brief("Café Menü.md")).toEqual([
      ["wikilink", "New Year", "Daily Notes/2024-01-01.md", null],
      ["wikilink", "Über Note", null, null],
      ["wikilink", "Old Notes", "Archive/2023/Notes.md", null],
    ]);
    expect(brief("Daily Notes/2024-01-01.md")).toEqual([
      ["wikilink", "Home", "Home.md", "Links"],
      ["wikilink", "Café Menü", "Café Menü.md", "Desserts"],
      ["embed", "Plan", "Plan.md", "Root Plan"],
    ]);
    expect(vault.read("Daily Notes/2024-01-01.md").links[0]?.display).toBe("home links");
  });

  it("computes backlinks for every note (no self links, nothing from .trash/ or .obsidian/)", () => {
    const backlinks = Object.fromEntries(NOTES.map((p) => [p, vault.read(p).backlinks.map((b) => b.path)]));
    expect(backlinks).toEqual({
      "Archive/2023/Notes.md": ["Café Menü.md", "Projects/Plan.md"],
      "Archive/Notes.md": ["Projects/Tasks.md"],
      "Archive/Tasks.md": ["Projects/Sub/Deep.md"],
      "Café Menü.md": ["Daily Notes/2024-01-01.md", "Home.md"],
      "Daily Notes/2024-01-01.md": ["Café Menü.md", "Home.md"],
      "Home.md": ["Daily Notes/2024-01-01.md", "Ideas.md", "Projects/Plan.md"],
      "Ideas.md": ["Home.md", "Projects/Plan.md"],
      "Plan.md": ["Daily Notes/2024-01-01.md", "Home.md", "Projects/Plan.md"],
      "Projects/Plan.md": ["Home.md", "Plan.md"],
      "Projects/Sub/Deep.md": ["Projects/Plan.md"],
      "Projects/Tasks.md": ["Projects/Plan.md"],
    });
    expect(vault.read("Home.md").backlinks[1]).toEqual({ path: "Ideas.md", title: "Big Ideas" });
  });

  it("builds the graph with unresolved links as flagged nodes", () => {
    const g = vault.graph();
    expect(g.nodes.filter((n) => !n.unresolved).map((n) => n.id)).toEqual(NOTES);
    expect(g.nodes.filter((n) => n.unresolved).sort((a, b) => (a.id < b.id ? -1 : 1))).toEqual([
      { id: "missing note", path: null, title: "Missing Note", unresolved: true },
      { id: "über note", path: null, title: "Über Note", unresolved: true },
    ]);
    const edges = g.edges.map((e) => `${e.source} -> ${e.target}`).sort();
    expect(edges).toEqual(
      [
        "Home.md -> Ideas.md",
        "Home.md -> Projects/Plan.md",
        "Home.md -> Plan.md",
        "Home.md -> Daily Notes/2024-01-01.md",
        "Home.md -> Café Menü.md",
        "Home.md -> missing note",
        "Ideas.md -> Home.md",
        "Plan.md -> Projects/Plan.md",
        "Projects/Plan.md -> Plan.md",
        "Projects/Plan.md -> Projects/Tasks.md",
        "Projects/Plan.md -> Projects/Sub/Deep.md",
        "Projects/Plan.md -> Ideas.md",
        "Projects/Plan.md -> Home.md",
        "Projects/Plan.md -> Archive/2023/Notes.md",
        "Projects/Tasks.md -> Archive/Notes.md",
        "Projects/Sub/Deep.md -> Archive/Tasks.md",
        "Daily Notes/2024-01-01.md -> Home.md",
        "Daily Notes/2024-01-01.md -> Café Menü.md",
        "Daily Notes/2024-01-01.md -> Plan.md",
        "Café Menü.md -> Daily Notes/2024-01-01.md",
        "Café Menü.md -> über note",
        "Café Menü.md -> Archive/2023/Notes.md",
      ].sort(),
    );
  });
});

describe("fixture vault: protocol shapes", () => {
  it("every result matches the protocol's strict schemas (REST and WS never disagree)", () => {
    expect(() => VaultListResult.parse(vault.list())).not.toThrow();
    for (const p of NOTES) expect(() => VaultReadResult.parse(vault.read(p))).not.toThrow();
    expect(() => VaultGraphResult.parse(vault.graph())).not.toThrow();
    expect(() => VaultSearchResult.parse(vault.search({ q: "note", tag: "project" }))).not.toThrow();
  });
});

describe("fixture vault: search", () => {
  it("ranks title matches first, supports prefixes and highlights snippets", () => {
    const res = vault.search({ q: "ideas" });
    expect(res.indexing).toBe(false);
    expect(res.hits[0]?.path).toBe("Ideas.md");
    expect(res.hits[0]?.snippet).toContain("<mark>");
    expect(vault.search({ q: "brû" }).hits.map((h) => h.path)).toEqual(["Café Menü.md"]);
    expect(vault.search({ q: "creme brulee" }).hits.map((h) => h.path)).toEqual(["Café Menü.md"]);
  });

  it("searches bodies and aliases, not only titles", () => {
    expect(vault.search({ q: "Older" }).hits.map((h) => h.path)).toEqual(["Archive/2023/Notes.md"]);
    expect(vault.search({ q: "Old Notes" }).hits.map((h) => h.path)).toContain("Archive/2023/Notes.md");
  });

  it("filters by tag, nested tags included", () => {
    expect(vault.search({ q: "", tag: "project" }).hits.map((h) => h.path).sort()).toEqual(["Home.md", "Projects/Plan.md", "Projects/Tasks.md"]);
    expect(vault.search({ q: "", tag: "#project/beta" }).hits.map((h) => h.path)).toEqual(["Projects/Tasks.md"]);
    expect(vault.search({ q: "next", tag: "project" }).hits.map((h) => h.path)).toEqual(["Projects/Tasks.md"]);
    expect(vault.search({ q: "next", tag: "food" }).hits).toEqual([]);
  });
});
