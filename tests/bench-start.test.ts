import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ROOT } from "./support/daemon.js";

// Issue 20: a CI-safe smoke of the start benchmark. Not timed and no budget asserted (CI machines are shared):
// it checks that the benchmark runs the real `agentd start` and prints its header and every figure with its ratio
// to the floor measured in the same run.
describe("the start benchmark (smoke)", () => {
  it("starts the daemon and prints the machine, the command and each figure as a ratio to node -e 0", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, "dist", "scripts", "bench", "start.js")], {
      env: { ...process.env, BENCH_RUNS: "1", BENCH_START_HISTORY: "2000" }, encoding: "utf8", timeout: 120_000,
    });
    expect(stdout).toMatch(/^machine: .+ × \d+ cores/m);
    expect(stdout).toMatch(/^floor: node -e 0 takes [\d.]+ ms \(same binary, median of 5\); \d+ cores; load average at start [\d.]+ \/ [\d.]+ \/ [\d.]+/m);
    expect(stdout).toMatch(/^command: BENCH_RUNS=1 BENCH_START_HISTORY=2000 node dist\/scripts\/bench\/start\.js$/m);
    expect(stdout).toMatch(/^agentd start \(bin\/agentd\.cjs\) +[\d.]+ ms +\= [\d.]+× node -e 0 +target ≤ 3×: (ok|OVER)$/m);
    expect(stdout).toMatch(/^ +the same, compile cache off +[\d.]+ ms +\= [\d.]+× node -e 0$/m);
    expect(stdout).toMatch(/^ +the same, 2,000 turns stored +[\d.]+ ms +\= [\d.]+× node -e 0$/m);
    expect(stdout).toMatch(/^stack floor \(Hono \+ better-sqlite3\) +[\d.]+ ms +\= [\d.]+× node -e 0$/m);
    expect(stdout).toMatch(/^node -e 0 \(the floor\) +[\d.]+ ms +\= 1\.00× node -e 0$/m);
  }, 180_000);
});
