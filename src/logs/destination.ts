import { existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { basename, join } from "node:path";
import type { LoggingConfig } from "../config/ops-config.js";

/** The log folder of an agent folder. */
export const LOG_DIR = "logs";
/** The name of the current log file: a symbolic link to the numbered file pino-roll writes (`agentd.N.log`). */
export const LOG_LINK = "agentd.log";
const LOG_BASE = "agentd";
const NUMBERED = /^agentd\.(\d+)\.log$/;

/** A log file of the folder: its path and rotation number (higher is newer). */
export interface LogFile {
  path: string;
  number: number;
}

/** The numbered log files of `logsDir` (`agentd.N.log`), oldest first. */
export function logFiles(logsDir: string): LogFile[] {
  let names: string[] = [];
  try {
    names = readdirSync(logsDir);
  } catch {
    return [];
  }
  return names
    .flatMap((n) => {
      const m = NUMBERED.exec(n);
      return m ? [{ path: join(logsDir, n), number: Number(m[1]) }] : [];
    })
    .sort((a, b) => a.number - b.number);
}

/** A writable stream for pino (SonicBoom) that rotates its files; `close()` flushes and closes it. */
export interface LogDestination {
  stream: NodeJS.WritableStream & { flushSync(): void; end(): void; file?: string };
  /** The file written now. */
  current(): string;
}

/** Points `logs/agentd.log` at `target` (a relative link), replacing a previous link. Best effort (Windows). */
function linkCurrent(logsDir: string, target: string): void {
  const link = join(logsDir, LOG_LINK);
  try {
    rmSync(link, { force: true });
    symlinkSync(basename(target), link);
  } catch {
    /* no symlinks here: `agentd logs` reads the numbered files anyway */
  }
}

/**
 * Opens the daemon's rotating log file with pino-roll (https://github.com/mcollina/pino-roll, used in-process: no
 * worker thread, so it works from the bundle): `DIR/logs/agentd.N.log`, rotated at `logging.maxFileBytes` and
 * at each `logging.rotateEvery` period, keeping the newest `logging.maxFiles` files, the current one included (older ones, also those
 * of earlier runs, are deleted). `DIR/logs/agentd.log` links to the current file. A plain `agentd.log` left by an
 * earlier agentd becomes `agentd.0.log`, so it counts against the bound. Lines are written synchronously (see the
 * comment at `sync`) unless `opts.sync` is false. Used by the daemon and by anything that
 * must write the same way (the log-bound test's writer). Throws when the folder cannot be created.
 */
export async function openLogDestination(dir: string, logging: LoggingConfig, opts: { sync?: boolean } = {}): Promise<LogDestination> {
  const logsDir = join(dir, LOG_DIR);
  mkdirSync(logsDir, { recursive: true });
  const legacy = join(logsDir, LOG_LINK);
  if (existsSync(legacy) && !lstatSync(legacy).isSymbolicLink() && !existsSync(join(logsDir, `${LOG_BASE}.0.log`))) {
    renameSync(legacy, join(logsDir, `${LOG_BASE}.0.log`));
  }
  const { default: roll } = await import("pino-roll");
  const stream = (await roll({
    file: join(logsDir, LOG_BASE),
    extension: ".log",
    size: `${Math.max(1, Math.floor(logging.maxFileBytes / 1024))}k`,
    ...(logging.rotateEvery !== "never" ? { frequency: logging.rotateEvery } : {}),
    limit: { count: logging.maxFiles, removeOtherLogFiles: true },
    // no `dateFormat`: the bundle leaves out the date-fns parts it needs (scripts/bundle.mjs, lazy-date-fns)
    mkdir: true,
    // synchronous writes: pino-roll rotates on the stream's `drain`, which an asynchronous SonicBoom never emits
    // while lines keep coming faster than the disk takes them (the file then grew past any bound: 200 MB in one
    // file in tests/logs.test.ts); a write(2) of one line to the page cache costs microseconds, and a crash
    // leaves every line logged before it in the file
    sync: opts.sync ?? true,
  })) as unknown as LogDestination["stream"];
  const current = () => (stream as { file?: string }).file ?? "";
  linkCurrent(logsDir, current());
  (stream as unknown as NodeJS.EventEmitter).on("ready", () => linkCurrent(logsDir, current()));
  return { stream, current };
}
