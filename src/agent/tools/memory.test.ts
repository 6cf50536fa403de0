import { describe, it, expect, afterEach } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { memoryLine, memoryTools } from "./memory.js";
import { builtinTools } from "./builtin.js";

const ctx = { signal: new AbortController().signal, sessionId: "s", runId: "r", logger: pino({ level: "silent" }) };
const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "agentd-memory-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tools(dir: string) {
  const [read, append] = memoryTools({ dir, timeZone: () => "Europe/Berlin", now: () => new Date("2026-11-21T13:05:00Z") });
  return { read: read!, append: append! };
}

describe("memory tools", () => {
  it("appends a timestamped line in the agent's zone and never rewrites what was there", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "MEMORY.md"), "<!-- notes -->\n- [2026-01-01 10:00 Europe/Berlin] old fact"); // no final newline
    const { read, append } = tools(dir);
    expect(await append.run({ text: "Ann likes tea" }, ctx)).toContain("- [2026-11-21 14:05 Europe/Berlin] Ann likes tea");
    expect(readFileSync(join(dir, "MEMORY.md"), "utf8")).toBe(
      "<!-- notes -->\n- [2026-01-01 10:00 Europe/Berlin] old fact\n- [2026-11-21 14:05 Europe/Berlin] Ann likes tea\n",
    );
    expect(await read.run({}, ctx)).toBe("- [2026-01-01 10:00 Europe/Berlin] old fact\n- [2026-11-21 14:05 Europe/Berlin] Ann likes tea");
  });

  it("creates MEMORY.md when missing and reads an empty memory clearly", async () => {
    const dir = tempDir();
    const { read, append } = tools(dir);
    expect(await read.run({}, ctx)).toBe("(memory is empty)");
    await append.run({ text: "first" }, ctx);
    expect(existsSync(join(dir, "MEMORY.md"))).toBe(true);
    expect(readFileSync(join(dir, "MEMORY.md"), "utf8")).toBe("- [2026-11-21 14:05 Europe/Berlin] first\n");
  });

  it("serialises concurrent appends: every line whole, none lost", async () => {
    const dir = tempDir();
    const { append } = tools(dir);
    const texts = Array.from({ length: 50 }, (_, i) => `fact ${i} ${"x".repeat(500)}`);
    await Promise.all(texts.map((text) => append.run({ text }, ctx)));
    const lines = readFileSync(join(dir, "MEMORY.md"), "utf8").trimEnd().split("\n");
    expect(lines).toHaveLength(50);
    expect(new Set(lines)).toEqual(new Set(texts.map((t) => `- [2026-11-21 14:05 Europe/Berlin] ${t}`)));
  });

  it("keeps a multi-line entry inside one list item", () => {
    expect(memoryLine("line one\r\nline two  \n", new Date("2026-07-01T12:00:00Z"), "UTC")).toBe("- [2026-07-01 12:00 UTC] line one\n  line two");
  });

  it("rejects empty and oversized text with a clear error, writing nothing", async () => {
    const dir = tempDir();
    const { append } = tools(dir);
    await expect(append.run({ text: "   " }, ctx)).rejects.toThrow(/invalid arguments: text/);
    await expect(append.run({ text: "x".repeat(2001) }, ctx)).rejects.toThrow(/invalid arguments: text/);
    expect(existsSync(join(dir, "MEMORY.md"))).toBe(false);
  });

  it("builtinTools offers current_time, memory_read and memory_append with one-sentence descriptions", () => {
    const all = builtinTools({ dir: tempDir(), timeZone: () => "UTC" });
    expect(all.map((t) => t.name)).toEqual(["current_time", "memory_read", "memory_append"]);
    for (const t of all) {
      expect(t.source).toBe("builtin");
      expect(t.description).toMatch(/^[A-Z].{10,70}\.$/);
      expect(t.description.split(". ")).toHaveLength(1);
    }
  });
});
