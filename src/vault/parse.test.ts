import { describe, expect, it } from "vitest";
import { splitFrontmatter } from "./frontmatter.js";
import { parseNoteBytes, warmUpNoteParsing, WARM_UP_NOTE } from "./note-store.js";
import { parseNote } from "./parse.js";
import { LinkResolver } from "./resolve.js";

describe("parseNote", () => {
  it("ignores links and tags in fenced code (``` and ~~~), inline code and comments", () => {
    const text = [
      "real [[A]] #real",
      "```",
      "[[B]] #b",
      "```",
      "~~~~js",
      "[[C]] #c",
      "```",
      "still code [[C2]]",
      "~~~~",
      "`[[D]] #d` and ``x ` [[E]]`` then [[F]]",
      "%% [[G]] #g",
      "still comment %% after #after",
      "<!-- [[H]] #h -->",
    ].join("\n");
    const note = parseNote(text, "x.md");
    expect(note.links.map((l) => l.target)).toEqual(["A", "F"]);
    expect(note.tags).toEqual(["real", "after"]);
  });

  it("tells tags from headings, numbers, anchors and links", () => {
    const note = parseNote("# Heading\n#tag-1 #2024 #a/b/c/ x#no [x](#anchor) [[N#sub]] (#paren) #émoji_ok #Tag-1\n## H #in-heading", "x.md");
    expect(note.tags).toEqual(["tag-1", "a/b/c", "émoji_ok", "in-heading"]);
    expect(note.title).toBe("Heading");
  });

  it("parses wikilink parts: alias, heading, nested heading, block, escaped pipe in tables, embeds", () => {
    const note = parseNote("[[A|x]] [[B#H1#H2]] [[C#^blk|y]] | [[D\\|z]] | ![[E.pdf#page=2]] [[ ]]", "x.md");
    expect(note.links).toEqual([
      { kind: "wikilink", target: "A", display: "x" },
      { kind: "wikilink", target: "B", heading: "H1#H2" },
      { kind: "wikilink", target: "C", blockId: "blk", display: "y" },
      { kind: "wikilink", target: "D", display: "z" },
      { kind: "embed", target: "E.pdf", heading: "page=2" },
      { kind: "wikilink", target: "" },
    ]);
  });

  it("takes markdown links to .md files only, URL-decoded, with angle brackets and titles", () => {
    const note = parseNote('[a](My%20Note.md) [b](<Other Note.md#Sec>) [c](x.md "t") [d](https://x.org/y.md) [e](img.png) [f](mailto:a@b.md)', "x.md");
    expect(note.links).toEqual([
      { kind: "markdown", target: "My Note.md", display: "a" },
      { kind: "markdown", target: "Other Note.md", heading: "Sec", display: "b" },
      { kind: "markdown", target: "x.md", display: "c" },
    ]);
  });

  it("reads frontmatter tags/aliases in every form, links in properties, and survives bad YAML", () => {
    const a = parseNote("---\ntags: '#x, y z'\naliases: One, Two\nrelated: \"[[Other]]\"\n---\nbody", "a.md");
    expect(a.tags).toEqual(["x", "y", "z"]);
    expect(a.aliases).toEqual(["One", "Two"]);
    expect(a.links).toEqual([{ kind: "wikilink", target: "Other" }]);
    const bad = parseNote("---\ntags: [unclosed\n---\nbody #t", "b.md");
    expect(bad.frontmatter).toEqual({});
    expect(bad.body).toBe("body #t");
    expect(bad.tags).toEqual(["t"]);
    const js = parseNote("---js\n{ title: process.exit(1) }\n---\nbody", "c.md");
    expect(js.frontmatter).toEqual({});
  });

  it("keeps YAML values JSON-safe: dates as strings, alias bombs and duplicate keys refused", () => {
    const dates = parseNote("---\nday: 2024-01-31\nat: 2024-01-31T10:30:00Z\nn: .inf\nq: '2024-02-01'\n---\n", "d.md");
    expect(dates.frontmatter).toEqual({ day: "2024-01-31", at: "2024-01-31T10:30:00.000Z", n: null, q: "2024-02-01" });
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 9; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(", ")}]`);
    const bomb = parseNote(`---\n${levels.join("\n")}\ntags: [x]\n---\nbody`, "e.md");
    expect(bomb.frontmatter).toEqual({});
    expect(parseNote("---\na: 1\na: 2\n---\n", "f.md").frontmatter).toEqual({});
    expect(parseNote('---\n"__proto__": {polluted: true}\n---\n', "g.md").frontmatter).toEqual(JSON.parse('{"__proto__": {"polluted": true}}'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("splits frontmatter exactly as Obsidian does", () => {
    expect(splitFrontmatter("---\na: 1\n---\nbody")).toEqual({ block: "---\na: 1\n---\n", yaml: "a: 1", body: "body" });
    expect(splitFrontmatter("---\n---\nbody")).toEqual({ block: "---\n---\n", yaml: "", body: "body" });
    expect(splitFrontmatter("\uFEFF---\r\na: 1\r\n---")).toEqual({ block: "\uFEFF---\r\na: 1\r\n---", yaml: "a: 1", body: "" });
    expect(splitFrontmatter("---\na: 1\nno closing").yaml).toBeUndefined();
    expect(splitFrontmatter("text\n---\na: 1\n---\n").yaml).toBeUndefined();
    expect(splitFrontmatter("----\na\n----\n").yaml).toBeUndefined();
  });
});

describe("LinkResolver", () => {
  const r = new LinkResolver();
  for (const p of ["Note.md", "a/Note.md", "a/b/Note.md", "zzzz/deep/x.md", "b/Note.md", "img/pic.PNG", "c/Only.md"]) r.add(p);
  r.setAliases("c/Only.md", ["Nick", "other/alias"]);

  it("follows Obsidian's order: exact path, same folder, shortest path", () => {
    expect(r.resolve("Note", "wikilink", "a/b/src.md")).toBe("Note.md");
    expect(r.resolve("b/Note", "wikilink", "x.md")).toBe("b/Note.md");
    expect(r.resolve("note", "wikilink", "zzzz/deep/x.md")).toBe("Note.md");
    r.remove("Note.md");
    expect(r.resolve("Note", "wikilink", "a/b/src.md")).toBe("a/b/Note.md");
    expect(r.resolve("Note", "wikilink", "zzzz/deep/x.md")).toBe("a/Note.md");
    expect(r.resolve("b/Note", "wikilink", "zzzz/x.md")).toBe("b/Note.md");
    r.add("Note.md");
  });

  it("handles relative paths, attachments, aliases and misses", () => {
    expect(r.resolve("../Note", "wikilink", "a/src.md")).toBe("Note.md");
    expect(r.resolve("./Nothing", "wikilink", "a/src.md")).toBeNull();
    expect(r.resolve("../../../Note", "wikilink", "a/src.md")).toBeNull();
    expect(r.resolve("Note.md", "markdown", "a/src.md")).toBe("a/Note.md");
    expect(r.resolve("pic.png", "embed", "x.md")).toBe("img/pic.PNG");
    expect(r.resolve("NICK", "wikilink", "x.md")).toBe("c/Only.md");
    expect(r.resolve("other/alias", "wikilink", "x.md")).toBeNull();
    expect(r.resolve("", "wikilink", "x.md")).toBe("x.md");
    expect(r.resolve("Nope", "wikilink", "x.md")).toBeNull();
  });
});

describe("the warm-up note (parsed once on the main thread while a reconcile worker indexes)", () => {
  it("goes through every part of the parser a note write needs: YAML frontmatter, wikilinks, embeds, markdown links, tags, code", () => {
    const note = parseNoteBytes(Buffer.from(WARM_UP_NOTE), "warm/Warm.md");
    expect(note.title).toBe("Warm");
    expect(note.tags).toEqual(["warm/up", "tag"]);
    expect(note.aliases).toEqual(["Warm"]);
    expect(note.links.map((l) => [l.kind, l.target])).toEqual([
      ["wikilink", "Note"],
      ["embed", "a.png"],
      ["markdown", "b.md"],
      ["wikilink", "Other"],
    ]);
    expect(() => warmUpNoteParsing()).not.toThrow();
  });
});
