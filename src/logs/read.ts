import { createReadStream, openSync, readSync, closeSync, statSync } from "node:fs";
import { createInterface } from "node:readline";
import ms from "ms";
import { ValidationError } from "../errors.js";
import { logFiles } from "./destination.js";

/** pino's numeric levels by name (https://getpino.io/#/docs/api?id=levels). */
export const PINO_LEVEL_VALUES = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
/** A pino level name. */
export type LevelName = keyof typeof PINO_LEVEL_VALUES;

/** Filter of {@link readLogEntries}: lowest level shown and earliest time (ms since the epoch). */
export interface LogFilter {
  minLevel?: number;
  sinceMs?: number;
}

/**
 * Parses `--since`: a duration back from `now` (`90s`, `15m`, `1h`, `2d`, as the `ms` package reads them) or an
 * ISO 8601 date-time. Returns ms since the epoch. Throws {@link ValidationError} for anything else.
 */
export function parseSince(text: string, now = Date.now()): number {
  const duration = /^\d/.test(text) && !text.includes("T") && !/^\d{4}-/.test(text) ? (ms as (s: string) => number | undefined)(text) : undefined;
  if (typeof duration === "number" && Number.isFinite(duration)) return now - duration;
  const at = Date.parse(text);
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && Number.isFinite(at)) return at;
  throw new ValidationError(`--since: "${text}" is neither a duration (30m, 1h, 2d) nor an ISO date-time`);
}

/** Parses `--level`: a pino level name. Throws {@link ValidationError} for an unknown one. */
export function parseLevel(text: string): number {
  const v = PINO_LEVEL_VALUES[text as LevelName];
  if (v === undefined) throw new ValidationError(`--level: "${text}" is not one of ${Object.keys(PINO_LEVEL_VALUES).join(", ")}`);
  return v;
}

/** A parsed log line: pino's fields (`level` number, `time` ms, `msg`…). */
export type LogEntry = Record<string, unknown> & { level: number; time: number };

/** The entry of one JSON line when it passes `filter`, else undefined (also for a line that is not pino JSON). */
export function filterLine(line: string, filter: LogFilter): LogEntry | undefined {
  if (!line.startsWith("{")) return undefined;
  let obj: LogEntry;
  try {
    obj = JSON.parse(line) as LogEntry;
  } catch {
    return undefined;
  }
  if (typeof obj.level !== "number" || typeof obj.time !== "number") return undefined;
  if (filter.minLevel !== undefined && obj.level < filter.minLevel) return undefined;
  if (filter.sinceMs !== undefined && obj.time < filter.sinceMs) return undefined;
  return obj;
}

/** Every entry of the folder's log files (`logs/agentd.N.log`, oldest file first) that passes `filter`. */
export async function* readLogEntries(logsDir: string, filter: LogFilter): AsyncGenerator<LogEntry> {
  for (const f of logFiles(logsDir)) {
    if (filter.sinceMs !== undefined) {
      try {
        if (statSync(f.path).mtimeMs < filter.sinceMs) continue; // its last line is older than --since
      } catch {
        continue; // rotated away meanwhile
      }
    }
    const rl = createInterface({ input: createReadStream(f.path, { encoding: "utf8" }), crlfDelay: Infinity });
    for await (const line of rl) {
      const e = filterLine(line, filter);
      if (e) yield e;
    }
  }
}

/** Reads the bytes of `file` from `offset` to its end; returns the complete lines and the offset after the last one. */
export function readNewLines(file: string, offset: number): { lines: string[]; offset: number } {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch {
    return { lines: [], offset };
  }
  try {
    const size = statSync(file).size;
    if (size < offset) offset = 0; // truncated or replaced
    if (size === offset) return { lines: [], offset };
    const buf = Buffer.alloc(size - offset);
    const n = readSync(fd, buf, 0, buf.length, offset);
    const text = buf.subarray(0, n).toString("utf8");
    const end = text.lastIndexOf("\n");
    if (end < 0) return { lines: [], offset };
    return { lines: text.slice(0, end).split("\n"), offset: offset + Buffer.byteLength(text.slice(0, end + 1)) };
  } finally {
    closeSync(fd);
  }
}
