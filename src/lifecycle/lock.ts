import { openSync, writeSync, closeSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { AgentdError } from "../errors.js";

/** Name of the lock file that keeps two daemons off one agent folder. */
export const LOCK_FILE = ".agentd.lock";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  // a killed daemon whose parent has not reaped it yet is a zombie (state Z in /proc, Linux): not alive
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true;
  }
}

/**
 * Takes the folder's lock (`DIR/.agentd.lock`, created exclusively, holding our pid). A lock whose pid is no
 * longer alive (a killed daemon) is stale and taken over. Throws a `conflict` {@link AgentdError} naming the pid
 * when another daemon runs on the folder. Returns the release function.
 */
export function acquireLock(dir: string): () => void {
  const file = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        try {
          if (Number.parseInt(readFileSync(file, "utf8"), 10) === process.pid) rmSync(file, { force: true });
        } catch {
          /* gone already */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    let pid = Number.NaN;
    try {
      pid = Number.parseInt(readFileSync(file, "utf8"), 10);
    } catch {
      /* vanished between the two calls: retry */
    }
    if (Number.isInteger(pid) && pid !== process.pid && alive(pid)) {
      throw new AgentdError("conflict", `another agentd (pid ${pid}) is already running on ${dir}`, { details: { pid } });
    }
    rmSync(file, { force: true }); // stale: its daemon is gone
  }
  throw new AgentdError("conflict", `could not take the lock ${file}`);
}
