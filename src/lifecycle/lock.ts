import { linkSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AgentdError } from "../errors.js";

/** Name of the lock file that keeps two daemons off one agent folder. It holds the owner's pid and a line feed. */
export const LOCK_FILE = ".agentd.lock";

/** How long {@link acquireLock} waits, in ms, for another process that is taking over the same stale lock. */
export const TAKEOVER_WAIT_MS = 2000;

/**
 * True when a process with this pid runs (signal 0; EPERM means it exists but is not ours). On Linux a zombie
 * (exited, not yet reaped by its parent: state `Z` in /proc/PID/stat) counts as gone.
 */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  if (process.platform !== "linux") return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true;
  }
}

const readText = (file: string): string | undefined => {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined; // gone
  }
};

const pidIn = (text: string | undefined): number => Number.parseInt(text ?? "", 10);

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Creates `file` holding `text`, atomically: the content is written to a private file first and hard-linked to
 * `file` (link(2) fails with EEXIST when it exists), so nobody ever reads a half-written lock. False when it exists.
 */
function createWithContent(file: string, text: string): boolean {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  try {
    linkSync(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    return false;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Takes the folder's lock (`DIR/.agentd.lock`, holding our pid). Race-free between processes starting at the same
 * instant:
 * - the lock is created with link(2) (exclusive, and complete when it appears), so exactly one starter wins;
 * - a lock whose pid is gone (a daemon killed with SIGKILL) is stale. Of the processes that see the same stale lock,
 *   only the one that exclusively creates `DIR/.agentd.lock.takeover-<dead pid>` may delete it, and only while it
 *   still holds that dead pid; it keeps the takeover file until its own lock is in place. The others wait for it
 *   (up to {@link TAKEOVER_WAIT_MS}) and then find a live owner. Deleting another starter's fresh lock, the race of
 *   a plain check-then-delete, cannot happen.
 *
 * Throws a `conflict` {@link AgentdError} "another agentd (pid N) is already running on DIR" (details `{ pid }`)
 * when a live process holds the lock. Returns the release function (removes the lock while it is still ours).
 */
export function acquireLock(dir: string): () => void {
  const file = join(dir, LOCK_FILE);
  const mine = `${process.pid}\n`;
  const release = () => {
    if (readText(file) === mine) rmSync(file, { force: true });
  };
  const deadline = Date.now() + TAKEOVER_WAIT_MS;
  for (;;) {
    if (createWithContent(file, mine)) return release;
    const seen = readText(file);
    if (seen === undefined) continue; // released between the two calls
    const pid = pidIn(seen);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid)) {
      throw new AgentdError("conflict", `another agentd (pid ${pid}) is already running on ${dir}`, { details: { pid } });
    }
    // stale: its daemon is gone (or the file is not ours to read as a pid)
    const guard = `${file}.takeover-${Number.isInteger(pid) ? pid : "invalid"}`;
    if (createWithContent(guard, mine)) {
      try {
        if (readText(file) === seen) rmSync(file, { force: true });
        if (createWithContent(file, mine)) return release;
      } finally {
        rmSync(guard, { force: true });
      }
      continue;
    }
    const holder = pidIn(readText(guard));
    if (Number.isInteger(holder) && !pidAlive(holder)) rmSync(guard, { force: true }); // died mid-takeover
    if (Date.now() > deadline) throw new AgentdError("conflict", `could not take the lock ${file}: another process is taking it over`);
    sleepSync(5);
  }
}
