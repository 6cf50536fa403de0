import { statSync } from "node:fs";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { LOG_DIR, logFiles } from "../logs/destination.js";
import { filterLine, parseLevel, parseSince, readLogEntries, readNewLines, type LogFilter } from "../logs/read.js";

/** How often `agentd logs -f` looks for new lines, in ms. */
export const FOLLOW_POLL_MS = 250;

/** Options of {@link logsCommand}: `follow` (-f), `level` (lowest level shown), `since` (`1h` or ISO), `json` (raw lines). */
export interface LogsOptions {
  follow?: boolean;
  level?: string;
  since?: string;
  json?: boolean;
  /** Where lines go (default stdout). */
  out?: NodeJS.WritableStream;
  /** Stops following (tests). */
  signal?: AbortSignal;
}

/**
 * `agentd logs DIR [-f] [--level warn] [--since 1h] [--json]`: prints the agent's log (every rotated file, oldest
 * first) through pino-pretty, filtered by level and time; with `-f`, keeps printing new lines across rotations
 * until interrupted. Works whether the daemon runs or not. Throws `ValidationError` (exit 64) for a bad
 * `--level`/`--since`. Returns the exit code: 0, or 1 when the folder has no logs.
 */
export async function logsCommand(dirArg: string, opts: LogsOptions = {}): Promise<number> {
  const logsDir = join(resolve(dirArg), LOG_DIR);
  const filter: LogFilter = {
    ...(opts.level ? { minLevel: parseLevel(opts.level) } : {}),
    ...(opts.since ? { sinceMs: parseSince(opts.since) } : {}),
  };
  const out = opts.out ?? process.stdout;
  let format: (e: Record<string, unknown>) => string = (e) => `${JSON.stringify(e)}\n`;
  if (!opts.json) {
    const mod = (await import("pino-pretty")) as unknown as { prettyFactory?: typeof import("pino-pretty").prettyFactory; default: { prettyFactory: typeof import("pino-pretty").prettyFactory } };
    const prettyFactory = mod.prettyFactory ?? mod.default.prettyFactory;
    const pretty = prettyFactory({ colorize: (out as { isTTY?: boolean }).isTTY === true, ignore: "pid,hostname", translateTime: "SYS:yyyy-mm-dd HH:MM:ss.l" });
    format = (e) => pretty(e);
  }
  const files = logFiles(logsDir);
  if (files.length === 0 && !opts.follow) {
    process.stderr.write(`agentd: no log files in ${logsDir}\n`);
    return 1;
  }
  for await (const e of readLogEntries(logsDir, filter)) {
    if (!out.write(format(e))) await new Promise((r) => out.once("drain", r));
  }
  if (!opts.follow) return 0;
  // follow: the newest file from its current end; on rotation, the rest of the old file, then the new one
  let current = logFiles(logsDir).at(-1)?.path;
  let offset = current ? statSync(current).size : 0;
  while (!opts.signal?.aborted) {
    await sleep(FOLLOW_POLL_MS, undefined, { ref: true }).catch(() => {});
    const newest = logFiles(logsDir).at(-1)?.path;
    const read = (file: string) => {
      const r = readNewLines(file, offset);
      offset = r.offset;
      for (const line of r.lines) {
        const e = filterLine(line, filter);
        if (e) out.write(format(e));
      }
    };
    if (current) read(current);
    if (newest && newest !== current) {
      current = newest;
      offset = 0;
      read(current);
    }
  }
  return 0;
}
