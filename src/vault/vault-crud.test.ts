import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AgentdError, ConflictError, NotFoundError, ValidationError } from "../errors.js";
import { tempVault } from "./test-support.js";
import type { Vault } from "./vault.js";

let vault: Vault;
let dir: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ vault, dir, cleanup } = await tempVault());
});
afterEach(async () => cleanup());

const disk = (p: string) => readFileSync(join(dir, p), "utf8");

describe("vault CRUD", () => {
  it("round-trips content and frontmatter byte-for-byte without rewriting the file", () => {
    for (const p of ["Home.md", "Daily Notes/2024-01-01.md", "Archive/2023/Notes.md", "Ideas.md"]) {
      const before = readFileSync(join(dir, p));
      const mtime = statSync(join(dir, p)).mtimeMs;
      const note = vault.read(p);
      const res = vault.write(p, { content: note.content, frontmatter: note.frontmatter });
      expect(res).toEqual({ path: p, etag: note.etag, created: false });
      expect(readFileSync(join(dir, p)).equals(before)).toBe(true);
      expect(statSync(join(dir, p)).mtimeMs).toBe(mtime);
    }
  });

  it("content-only writes keep the frontmatter block bytes (comments, quoting, CRLF)", () => {
    const block = '---\r\ntitle:   "Spaced"   # a comment\r\ntags: [a,   b]\r\n---\r\n';
    writeFileSync(join(dir, "Odd.md"), `${block}old body\r\n`);
    const note = vault.read("Odd.md");
    expect(note.frontmatter).toEqual({ title: "Spaced", tags: ["a", "b"] });
    expect(note.content).toBe("old body\r\n");
    vault.write("Odd.md", { content: "new body\n" });
    expect(disk("Odd.md")).toBe(`${block}new body\n`);
    // Same data, other key order: the block is kept as written.
    vault.write("Odd.md", { frontmatter: { tags: ["a", "b"], title: "Spaced" }, content: "x\n" });
    expect(disk("Odd.md")).toBe(`${block}x\n`);
  });

  it("frontmatter-only writes keep the body bytes; {} removes the block", () => {
    const body = vault.read("Projects/Plan.md").content;
    vault.write("Projects/Plan.md", { frontmatter: { tags: ["project", "q3"], status: "active" } });
    expect(disk("Projects/Plan.md")).toBe(`---\ntags:\n  - project\n  - q3\nstatus: active\n---\n${body}`);
    expect(vault.read("Projects/Plan.md").tags).toEqual(["project", "q3"]);
    vault.write("Projects/Plan.md", { frontmatter: {} });
    expect(disk("Projects/Plan.md")).toBe(body);
  });

  it("creates notes in new nested folders with unicode and spaces; content with frontmatter replaces the file", () => {
    const p = "Neue Ordner/Sub folder/Ünïcode note.md";
    const res = vault.write(p, { content: "---\nalias: Uni\n---\nHello [[Home]] #neu\n" });
    expect(res.created).toBe(true);
    expect(disk(p)).toBe("---\nalias: Uni\n---\nHello [[Home]] #neu\n");
    const note = vault.read(p);
    expect(note).toMatchObject({ title: "Ünïcode note", tags: ["neu"], aliases: ["Uni"], etag: res.etag, content: "Hello [[Home]] #neu\n" });
    expect(vault.read("Home.md").backlinks.map((b) => b.path)).toContain(p);
    vault.write(p, { content: "---\ntitle: T\n---\nbody\n" });
    expect(disk(p)).toBe("---\ntitle: T\n---\nbody\n");
    // With frontmatter given, content is the body literally, even when it starts with a `---` block.
    vault.write(p, { content: "---\nnot: fm\n---\nx", frontmatter: { title: "T" } });
    expect(disk(p)).toBe("---\ntitle: T\n---\n---\nnot: fm\n---\nx");
    expect(vault.read(p)).toMatchObject({ frontmatter: { title: "T" }, content: "---\nnot: fm\n---\nx" });
    expect(() => vault.write(p, {})).toThrow(ValidationError);
  });

  it("indexes API writes at once: search, backlinks, unresolved links becoming resolved", () => {
    expect(vault.search({ q: "zanzibar" }).hits).toEqual([]);
    vault.write("Missing Note.md", { content: "Now it exists: zanzibar.\n" });
    expect(vault.search({ q: "zanzibar" }).hits.map((h) => h.path)).toEqual(["Missing Note.md"]);
    expect(vault.read("Home.md").links.find((l) => l.target === "Missing Note")?.resolved).toBe("Missing Note.md");
    expect(vault.read("Missing Note.md").backlinks).toEqual([{ path: "Home.md", title: "Welcome Home" }]);
    expect(vault.graph().nodes.some((n) => n.unresolved && n.id === "missing note")).toBe(false);
    vault.delete("Missing Note.md");
    expect(vault.search({ q: "zanzibar" }).hits).toEqual([]);
    expect(vault.graph().nodes.some((n) => n.unresolved && n.id === "missing note")).toBe(true);
  });

  it("re-resolves links when aliases change", () => {
    expect(vault.read("Ideas.md").links[1]?.resolved).toBe("Home.md");
    vault.write("Home.md", { frontmatter: { ...vault.read("Home.md").frontmatter, aliases: ["Dashboard"] } });
    expect(vault.read("Ideas.md").links.map((l) => l.resolved)).toEqual(["Home.md", null, "Home.md"]);
    expect(vault.graph().nodes.find((n) => n.id === "start")?.unresolved).toBe(true);
  });

  it("ETag on read, If-Match on write and delete: a stale tag is a conflict and changes nothing", () => {
    const note = vault.read("Ideas.md");
    expect(note.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    writeFileSync(join(dir, "Ideas.md"), "edited in Obsidian\n");
    const err = (() => {
      try {
        vault.write("Ideas.md", { content: "mine\n" }, { ifMatch: note.etag });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).details?.etag).toBe(vault.read("Ideas.md").etag);
    expect(() => vault.delete("Ideas.md", { ifMatch: note.etag })).toThrow(ConflictError);
    expect(disk("Ideas.md")).toBe("edited in Obsidian\n");
    const fresh = vault.read("Ideas.md").etag;
    const res = vault.write("Ideas.md", { content: "mine\n" }, { ifMatch: fresh });
    expect(res.etag).not.toBe(fresh);
    expect(vault.read("Ideas.md").etag).toBe(res.etag);
    expect(() => vault.write("Nope.md", { content: "x" }, { ifMatch: '"abc"' })).toThrow(ConflictError);
    expect(vault.write("Ideas.md", { content: "again\n" }, { ifMatch: "*" }).created).toBe(false);
    vault.delete("Ideas.md", { ifMatch: vault.read("Ideas.md").etag });
    expect(() => vault.read("Ideas.md")).toThrow(NotFoundError);
    expect(() => vault.delete("Ideas.md")).toThrow(NotFoundError);
  });

  it("leaves no temp files behind and refuses oversized notes", () => {
    vault.write("A/b.md", { content: "x" });
    vault.write("A/b.md", { content: "y" });
    expect(readdirSync(join(dir, "A"))).toEqual(["b.md"]);
    const err = (() => {
      try {
        vault.write("Big.md", { content: "x".repeat(8 * 1024 * 1024 + 1) });
      } catch (e) {
        return e;
      }
    })();
    expect((err as AgentdError).code).toBe("payload_too_large");
  });

  it("lists notes under a folder", () => {
    expect(vault.list({ folder: "Projects" }).notes.map((n) => n.path)).toEqual(["Projects/Plan.md", "Projects/Sub/Deep.md", "Projects/Tasks.md"]);
    expect(vault.list({ folder: "Projects/Sub/" }).notes.map((n) => n.path)).toEqual(["Projects/Sub/Deep.md"]);
    expect(vault.list({ folder: "Nowhere" }).notes).toEqual([]);
    const home = vault.list().notes.find((n) => n.path === "Home.md");
    expect(home?.size).toBe(statSync(join(dir, "Home.md")).size);
  });
});
