import { describe, expect, it } from "vitest";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { filterLine, parseLevel, parseSince, readLogEntries, readNewLines } from "./read.js";
import { logFiles } from "./destination.js";

const line = (level: number, time: number, msg: string) => `${JSON.stringify({ level, time, msg })}\n`;

describe("agentd logs helpers", () => {
  it("reads --since as a duration back from now or as an ISO date-time", () => {
    const now = Date.parse("2026-11-27T12:00:00Z");
    expect(parseSince("1h", now)).toBe(now - 3_600_000);
    expect(parseSince("30m", now)).toBe(now - 1_800_000);
    expect(parseSince("2d", now)).toBe(now - 2 * 86_400_000);
    expect(parseSince("2026-11-27T11:00:00Z", now)).toBe(Date.parse("2026-11-27T11:00:00Z"));
    expect(() => parseSince("yesterday", now)).toThrow(/neither a duration/);
    expect(() => parseSince("5 parsecs", now)).toThrow(/neither a duration/);
  });

  it("reads --level as a pino level name", () => {
    expect(parseLevel("warn")).toBe(40);
    expect(() => parseLevel("WARNING")).toThrow(/not one of trace, debug, info, warn, error, fatal/);
  });

  it("keeps lines at or above the level and at or after the time; drops lines that are not pino JSON", () => {
    expect(filterLine(line(40, 1000, "w"), { minLevel: 40 })?.msg).toBe("w");
    expect(filterLine(line(30, 1000, "i"), { minLevel: 40 })).toBeUndefined();
    expect(filterLine(line(50, 999, "old"), { sinceMs: 1000 })).toBeUndefined();
    expect(filterLine("(node:1) a stray stderr line", {})).toBeUndefined();
    expect(filterLine("{broken", {})).toBeUndefined();
  });

  it("reads every rotated file oldest first, and only whole new lines when following", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agentd-logs-"));
    try {
      const logs = join(dir, "logs");
      mkdirSync(logs);
      writeFileSync(join(logs, "agentd.10.log"), line(30, 3, "third"));
      writeFileSync(join(logs, "agentd.2.log"), line(30, 1, "first") + line(40, 2, "second"));
      writeFileSync(join(logs, "other.log"), line(30, 0, "not ours"));
      expect(logFiles(logs).map((f) => f.number)).toEqual([2, 10]);
      const msgs: unknown[] = [];
      for await (const e of readLogEntries(logs, {})) msgs.push(e.msg);
      expect(msgs).toEqual(["first", "second", "third"]);
      const file = join(logs, "agentd.10.log");
      const start = readNewLines(file, 0);
      expect(start.lines).toHaveLength(1);
      appendFileSync(file, `${line(30, 4, "fourth")}{"level":30,"ti`);
      const next = readNewLines(file, start.offset);
      expect(next.lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(["fourth"]);
      appendFileSync(file, `me":5,"msg":"fifth"}\n`);
      expect(readNewLines(file, next.offset).lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(["fifth"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
