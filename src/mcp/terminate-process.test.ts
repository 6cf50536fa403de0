import { describe, it, expect } from "vitest";
import { spawn } from "node:child_process";
import { isProcessAlive, terminateProcess } from "./terminate-process.js";

function spawnNode(script: string): number {
  const child = spawn(process.execPath, ["-e", script], { stdio: "ignore" });
  if (child.pid === undefined) throw new Error("spawn failed");
  return child.pid;
}

describe("terminateProcess", () => {
  it("stops a process with SIGTERM", async () => {
    const pid = spawnNode("setInterval(() => {}, 1000)");
    expect(isProcessAlive(pid)).toBe(true);
    const t0 = performance.now();
    expect(await terminateProcess(pid, 2000)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(isProcessAlive(pid)).toBe(false);
  });

  it("uses SIGKILL after the grace time when SIGTERM is ignored", async () => {
    // the child says when its handler is installed (a fixed sleep loses the race on a loaded machine)
    const child = spawn(process.execPath, ["-e", "process.on('SIGTERM', () => {}); process.stdout.write('ready'); setInterval(() => {}, 1000)"], { stdio: ["ignore", "pipe", "ignore"] });
    await new Promise((r) => child.stdout.once("data", r));
    const pid = child.pid!;
    const t0 = performance.now();
    expect(await terminateProcess(pid, 300)).toBe(true);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290); // it waited the grace time: SIGTERM was ignored
    expect(isProcessAlive(pid)).toBe(false);
  });

  it("is a no-op for a process that is already gone", async () => {
    const pid = spawnNode("process.exit(0)");
    await new Promise((r) => setTimeout(r, 200));
    expect(await terminateProcess(pid)).toBe(true);
  });
});
