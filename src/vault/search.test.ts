import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ValidationError } from "../errors.js";
import { renderSnippet, toFtsQuery } from "./search.js";
import { tempVault } from "./test-support.js";
import type { Vault } from "./vault.js";

describe("toFtsQuery", () => {
  it("quotes every term, keeps phrases, and makes the last term a prefix", () => {
    expect(toFtsQuery("hello world")).toBe('"hello" "world"*');
    expect(toFtsQuery("hello world ")).toBe('"hello" "world"');
    expect(toFtsQuery('"exact phrase" more')).toBe('"exact phrase" "more"*');
    expect(toFtsQuery("foo* bar")).toBe('"foo"* "bar"*');
    expect(toFtsQuery("a")).toBe('"a"');
    expect(toFtsQuery("AND OR NOT")).toBe('"AND" "OR" "NOT"*');
    expect(toFtsQuery('say "hi')).toBe('"say" "hi"');
    expect(toFtsQuery("*** ( ) - :")).toBeUndefined();
  });

  it("escapes HTML in snippets and marks matches", () => {
    expect(renderSnippet("a <b>\u0002x\u0003</b> & y")).toBe("a &lt;b&gt;<mark>x</mark>&lt;/b&gt; &amp; y");
  });
});

describe("search over a vault", () => {
  let vault: Vault;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ vault, cleanup } = await tempVault({ empty: true }));
    vault.write("Title Match.md", { content: "nothing here\n" });
    vault.write("Body.md", { content: "The title match appears only in the body. <script>alert(1)</script> match\n" });
    vault.write("Other.md", { content: "matchmaking is a prefix hit\n" });
    for (let i = 0; i < 30; i++) vault.write(`Many/Note ${i}.md`, { content: `${"filler ".repeat(i)}okapi ${i % 3 === 0 ? "#keep" : "#drop"} ${i % 6 === 0 ? "#keep/sub" : ""} okapi\n` });
  });
  afterAll(async () => cleanup());

  it("ranks a title hit above body hits, and finds prefixes", () => {
    const hits = vault.search({ q: "title match" }).hits;
    expect(hits.map((h) => h.path)).toEqual(["Title Match.md", "Body.md"]);
    expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
    expect(vault.search({ q: "match" }).hits.map((h) => h.path).sort()).toEqual(["Body.md", "Other.md", "Title Match.md"]);
    expect(vault.search({ q: "match " }).hits.map((h) => h.path).sort()).toEqual(["Body.md", "Title Match.md"]);
  });

  it("returns escaped snippets with <mark> and honours the limit", () => {
    const hit = vault.search({ q: "script" }).hits[0]!;
    expect(hit.snippet).toContain("&lt;<mark>script</mark>&gt;");
    expect(hit.snippet).not.toContain("<script>");
    expect(vault.search({ q: "match", limit: 1 }).hits).toHaveLength(1);
    expect(vault.search({ q: "match", limit: 1000 }).hits).toHaveLength(3);
    expect(vault.search({ q: "match", limit: Number.NaN }).hits).toHaveLength(3);
  });

  it("with a tag, returns exactly the ranked hits that carry it (nested tags too), with their snippets", () => {
    const all = vault.search({ q: "okapi", limit: 100 }).hits;
    expect(all).toHaveLength(30);
    const kept = all.filter((h) => /^Many\/Note (\d+)\.md$/.test(h.path) && Number(h.path.match(/\d+/)![0]) % 3 === 0);
    expect(kept).toHaveLength(10);
    expect(vault.search({ q: "okapi", tag: "#Keep", limit: 100 }).hits).toEqual(kept);
    expect(vault.search({ q: "okapi", tag: "keep", limit: 3 }).hits).toEqual(kept.slice(0, 3));
    expect(vault.search({ q: "okapi", tag: "keep/sub" }).hits.map((h) => h.path).sort()).toEqual(
      ["Many/Note 0.md", "Many/Note 12.md", "Many/Note 18.md", "Many/Note 24.md", "Many/Note 6.md"],
    );
    expect(kept[0]!.snippet).toContain("<mark>okapi</mark>");
  });

  it("gives the same hits, scores and snippets whether snippets are looked up per hit (a 3-letter prefix) or in one pass", () => {
    // "oka"* reads the prefix='3' index (snippets: one rowid seek per hit); "okap"* expands to the same one term
    // (snippets: one pass over all matches). Both match exactly the notes with "okapi".
    for (const tag of [undefined, "keep"]) {
      const perHit = vault.search({ q: "oka", tag, limit: 100 }).hits;
      expect(perHit.length).toBeGreaterThan(5);
      expect(perHit[0]!.snippet).toContain("<mark>okapi</mark>");
      expect(perHit).toEqual(vault.search({ q: "okap", tag, limit: 100 }).hits);
    }
  });

  it("never throws an FTS5 syntax error on hostile input", () => {
    const hostile = ["a\u0000b", "x\ty", '"', '""', "(", ")", "a AND", "OR b", "NOT", "NEAR(a b)", "*", "-a", "a -b", "a:b", "title:x", "^a", "a + b", "'", "\\", "{a b}", "a OR (b", "\u0000", "🙂", "x".repeat(900)];
    for (const q of hostile) {
      expect(() => vault.search({ q, tag: "t" })).not.toThrow();
      try {
        vault.search({ q });
      } catch (err) {
        expect(err).toBeInstanceOf(ValidationError);
        expect((err as Error).message).not.toMatch(/syntax/);
      }
    }
    expect(() => vault.search({ q: "   " })).toThrow(ValidationError);
  });
});
