// Start-up benchmark: `agentd start` until `.port` exists and /api/health answers, median of 10 cold starts.
// Baselines in the same run: the unbundled tsc output (what the build choice saves) and `node -e 0` (the floor).
// Source maps (dist/bundle/**/*.js.map): off (what agentd runs: it maps a stack only when it prints or logs one,
// src/logs/source-mapped-stack.ts) vs `--enable-source-maps` in NODE_OPTIONS (kept by the daemon's re-exec, so the
// daemon itself runs with it; `process.setSourceMapsEnabled(true)` in a launcher would not survive that re-exec).
// Run: npm run build && node dist/scripts/bench/start.js
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../../src/version.js";
import { median, row, stopChild, timeStart } from "./lib/measure.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const bundled = join(PACKAGE_ROOT, "dist", "bundle", "src", "cli", "main.js");
const unbundled = join(PACKAGE_ROOT, "dist", "src", "cli", "main.js");

/** Measures start-up; returns the medians in ms. */
export async function runStartBench(): Promise<Record<string, number>> {
  const root = mkdtempSync(join(tmpdir(), "agentd-bench-start-"));
  const dir = join(root, "agent");
  execFileSync(process.execPath, [bundled, "init", dir], { stdio: "ignore" });
  const floor: number[] = [];
  const results: Record<string, number[]> = { bundled: [], bundledNoCache: [], unbundled: [], sourceMapsFlag: [] };
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    spawnSync(process.execPath, ["-e", "0"]);
    floor.push(performance.now() - t0);
    // interleaved, so drift on the machine hits all variants alike
    for (const [name, cli, env] of [
      ["bundled", bundled, {}],
      ["bundledNoCache", bundled, { NODE_DISABLE_COMPILE_CACHE: "1" }],
      ["unbundled", unbundled, {}],
      ["sourceMapsFlag", bundled, { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --enable-source-maps`.trim() }],
    ] as const) {
      const { ms, child } = await timeStart(cli, dir, env);
      results[name]!.push(ms);
      await stopChild(child);
    }
  }
  rmSync(root, { recursive: true, force: true });
  const out = {
    startMs: median(results.bundled!),
    startNoCompileCacheMs: median(results.bundledNoCache!),
    startUnbundledMs: median(results.unbundled!),
    startSourceMapsFlagMs: median(results.sourceMapsFlag!),
    nodeFloorMs: median(floor),
  };
  console.log(`agentd start → .port + /api/health 200, median of ${RUNS} starts`);
  console.log(row("bundled (what the agentd bin loads)", out.startMs, "ms", 300));
  console.log(row("bundled, V8 compile cache off", out.startNoCompileCacheMs, "ms", 300));
  console.log(row("bundled, --enable-source-maps", out.startSourceMapsFlagMs, "ms"));
  console.log(row("unbundled tsc output (baseline)", out.startUnbundledMs, "ms"));
  console.log(row("node -e 0 (floor)", out.nodeFloorMs, "ms"));
  console.log(`ratio bundled / unbundled: ${(out.startMs / out.startUnbundledMs).toFixed(2)}`);
  console.log(`ratio --enable-source-maps / off: ${(out.startSourceMapsFlagMs / out.startMs).toFixed(2)}`);
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) await runStartBench();
