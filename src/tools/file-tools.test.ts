import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { ensureWorkspace } from "./workspace.js";
import { fileReadTool } from "./file-read.js";
import { fileWriteTool } from "./file-write.js";
import { fileEditTool } from "./file-edit.js";
import { fileListTool } from "./file-list.js";

let dir: string;
let root: string;
const ctx = { signal: new AbortController().signal, sessionId: "s", runId: "r", logger: pino({ level: "silent" }) };
const max = () => 1024 * 1024;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "agentd-files-"));
  writeFileSync(join(dir, ".env"), "OPENAI_API_KEY=sk-secret\n");
  root = ensureWorkspace(dir);
  mkdirSync(join(dir, "outside"));
  writeFileSync(join(dir, "outside", "x.txt"), "outside");
  symlinkSync(join(dir, ".env"), join(root, "env-link"));
  symlinkSync(join(dir, "outside"), join(root, "out-dir"));
  symlinkSync(join(dir, "nowhere"), join(root, "dangling"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("file tools", () => {
  const read = () => fileReadTool({ root, maxBytes: max });
  const write = () => fileWriteTool({ root, maxBytes: () => 64 });
  const edit = () => fileEditTool({ root, maxBytes: max });
  const list = () => fileListTool({ root });

  it("write creates folders and the file; read returns it; list shows it", async () => {
    expect(await write().run({ path: "notes/a.txt", content: "hello world" }, ctx)).toBe("Wrote 11 bytes to notes/a.txt");
    expect(readFileSync(join(root, "notes", "a.txt"), "utf8")).toBe("hello world");
    expect(await read().run({ path: "notes/a.txt" }, ctx)).toBe("hello world");
    expect(await list().run({ recursive: true }, ctx)).toContain("notes/a.txt");
    expect(await list().run({ path: "notes" }, ctx)).toBe("notes/a.txt");
  });

  it("edit replaces an exact string once; a missing or ambiguous one changes nothing", async () => {
    await write().run({ path: "b.txt", content: "one two two" }, ctx);
    expect(await edit().run({ path: "b.txt", oldText: "one", newText: "1" }, ctx)).toMatch(/Replaced 1/);
    expect(readFileSync(join(root, "b.txt"), "utf8")).toBe("1 two two");
    await expect(edit().run({ path: "b.txt", oldText: "two", newText: "2" }, ctx)).rejects.toThrow(/occurs 2 times/);
    await expect(edit().run({ path: "b.txt", oldText: "three", newText: "3" }, ctx)).rejects.toThrow(/not found/);
    expect(readFileSync(join(root, "b.txt"), "utf8")).toBe("1 two two");
    expect(await edit().run({ path: "b.txt", oldText: "two", newText: "$&2", replaceAll: true }, ctx)).toMatch(/Replaced 2 occurrences/);
    expect(readFileSync(join(root, "b.txt"), "utf8")).toBe("1 $&2 $&2");
  });

  it("refuses paths that escape: '..', absolute, symlinks pointing out (file and folder), dangling links", async () => {
    for (const path of ["../.env", "notes/../../.env", "/etc/passwd", join(dir, ".env"), "env-link", "out-dir/x.txt", "out-dir"]) {
      await expect(read().run({ path }, ctx), path).rejects.toMatchObject({ code: "bad_request", message: expect.stringMatching(/refused/) });
    }
    await expect(write().run({ path: "out-dir/new.txt", content: "x" }, ctx)).rejects.toThrow(/outside the workspace/);
    await expect(write().run({ path: "dangling", content: "x" }, ctx)).rejects.toThrow(/points nowhere/);
    await expect(write().run({ path: "../escape.txt", content: "x" }, ctx)).rejects.toThrow(/'\.\.'/);
    await expect(list().run({ path: "out-dir" }, ctx)).rejects.toThrow(/outside the workspace/);
    expect(existsSync(join(dir, "outside", "new.txt"))).toBe(false);
    expect(existsSync(join(dir, "nowhere"))).toBe(false);
    expect(existsSync(join(dir, "escape.txt"))).toBe(false);
    expect(readFileSync(join(dir, ".env"), "utf8")).toBe("OPENAI_API_KEY=sk-secret\n");
  });

  it("write refuses content over maxBytes and writes nothing", async () => {
    await expect(write().run({ path: "big.txt", content: "x".repeat(65) }, ctx)).rejects.toMatchObject({ code: "payload_too_large" });
    expect(existsSync(join(root, "big.txt"))).toBe(false);
  });

  it("read cuts a file over maxBytes and says so", async () => {
    await fileWriteTool({ root, maxBytes: max }).run({ path: "long.txt", content: "a".repeat(3000) }, ctx);
    const out = await fileReadTool({ root, maxBytes: () => 1024 }).run({ path: "long.txt" }, ctx);
    expect(out).toBe(`${"a".repeat(1024)}\n[… file cut at 1024 of 3000 bytes]`);
  });
});
