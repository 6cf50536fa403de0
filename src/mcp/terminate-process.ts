import { setTimeout as sleep } from "node:timers/promises";

/** True while process `pid` exists (signal 0 succeeds, or it exists but belongs to someone else: EPERM). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(20);
  }
  return true;
}

/**
 * Stops a child process so none is left behind (issue 3: "no orphans"): SIGTERM, then SIGKILL if it is
 * still alive after `graceMs` (default 2000 ms), then waits up to 1 s for it to be gone.
 * Resolves `true` once the process no longer exists, `false` if it survived SIGKILL (should not happen).
 * Never throws.
 */
export async function terminateProcess(pid: number, graceMs = 2000): Promise<boolean> {
  if (!isProcessAlive(pid)) return true;
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return !isProcessAlive(pid);
  }
  if (await waitForExit(pid, graceMs)) return true;
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
  return waitForExit(pid, 1000);
}
