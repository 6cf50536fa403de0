/**
 * Runs every benchmark of `scripts/bench/` one after the other with the settings (defaults of each
 * bench; override with their `BENCH_*` variables) and prints a summary against the budgets of DESIGN.md §6.
 * `BENCH_ONLY=start,memory` runs a subset; `BENCH_JSON=path` also writes every figure as JSON.
 * This is `npm run bench` (after `npm run build`). The whole run takes about 10 minutes on 2 cores, most of it
 * the 100,000-turn soak; `BENCH_SOAK_TURNS=5000 BENCH_LOAD_SECONDS=10` makes a quick check.
 */
import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { runStartBench } from "./start.js";
import { runMemoryBench } from "./memory.js";
import { runOverheadBench } from "./overhead.js";
import { runLoadBench } from "./load.js";
import { runInstallSizeBench } from "./install-size.js";
import { runAcceptBench } from "./accept.js";
import { runVaultBench } from "./vault.js";
import { runSchedulesBench } from "./schedules.js";
import { runIntegrationsBench } from "./integrations.js";
import { runLongReplyBench } from "./long-reply.js";
import { runWebBench } from "./web.js";
import { runDeliveriesBench } from "./deliveries.js";
import { benchHeader, machine } from "./lib/setup.js";

type Bench = () => Promise<Record<string, number>>;

/** The benchmarks in run order: name and entry point. */
export const BENCHES: Array<[string, Bench]> = [
  ["start", runStartBench],
  ["memory", runMemoryBench],
  ["overhead", runOverheadBench],
  ["integrations", runIntegrationsBench],
  ["load", runLoadBench],
  ["accept", runAcceptBench],
  ["vault", runVaultBench],
  ["schedules", runSchedulesBench],
  ["long-reply", runLongReplyBench],
  ["install", runInstallSizeBench],
  ["web", runWebBench],
  ["deliveries", runDeliveriesBench],
];

/** One budget line of the summary: which figure and its limit (`max`: the figure must stay below it; 0: must be 0). */
const BUDGETS: Array<{ bench: string; key: string; label: string; max: number; unit: string }> = [
  { bench: "start", key: "startRatio", label: "start to .port + health / node -e 0", max: 3, unit: "×" },
  { bench: "start", key: "startMs", label: "start to .port + health (median)", max: 300, unit: "ms" },
  { bench: "memory", key: "rssIdleRatio", label: "idle RSS / idle bare node", max: 1.5, unit: "×" },
  { bench: "memory", key: "rssIdleMb", label: "idle RSS", max: 80, unit: "MB" },
  { bench: "memory", key: "rssIdleAfterTurnRatio", label: "idle RSS after one chat turn / idle bare node", max: 1.5, unit: "×" },
  { bench: "memory", key: "soakRatio", label: "RSS after the soak / after 1,000 turns", max: 1.2, unit: "×" },
  { bench: "overhead", key: "wsAddedP50Ms", label: "gateway overhead of a turn over WS, p50", max: 1, unit: "ms" },
  { bench: "overhead", key: "restAddedP50Ms", label: "gateway overhead of a turn over REST, p50", max: 1, unit: "ms" },
  { bench: "integrations", key: "v1AddedP50Ms", label: "/v1/chat/completions over POST /api/chat, p50", max: 1, unit: "ms" },
  { bench: "integrations", key: "mcpAddedP50Ms", label: "/mcp chat tool over POST /api/chat, p50", max: 1, unit: "ms" },
  { bench: "load", key: "daemonLagP99Ms", label: "event-loop lag p99 under load", max: 20, unit: "ms" },
  { bench: "load", key: "lost", label: "lost messages under load", max: 0, unit: "" },
  { bench: "load", key: "duplicated", label: "duplicated messages under load", max: 0, unit: "" },
  { bench: "vault", key: "coldIndexMs", label: "vault of 10,000 notes: cold index", max: 3000, unit: "ms" },
  { bench: "vault", key: "searchP95Ms", label: "vault search p95", max: 10, unit: "ms" },
  { bench: "vault", key: "writeVisibleP95Ms", label: "vault write → visible to search, p95", max: 20, unit: "ms" },
  { bench: "schedules", key: "jobP99Ms", label: "scheduled message due → sent, p99 (100 jobs due in one second)", max: 1000, unit: "ms" },
  { bench: "long-reply", key: "peakRatio", label: "peak RSS during a 300 MB reply / baseline", max: 1.5, unit: "×" },
  { bench: "web", key: "jsGzipKb", label: "web app JavaScript, first screen, gzipped", max: 120, unit: "KB" },
  { bench: "web", key: "firstScreenMs", label: "web app first screen on a local daemon", max: 300, unit: "ms" },
  { bench: "install", key: "totalMb", label: "install size (deps + package)", max: 150, unit: "MB" },
];

/** Runs the selected benchmarks; returns their figures by bench name. A bench that throws is reported, not fatal. */
export async function runAll(): Promise<Record<string, Record<string, number> | { error: string }>> {
  const only = process.env.BENCH_ONLY?.split(",").map((s) => s.trim()).filter(Boolean);
  console.log(`agentd benchmarks\n${benchHeader()}`);
  console.log(`started ${new Date().toISOString()}\n`);
  const results: Record<string, Record<string, number> | { error: string }> = {};
  for (const [name, bench] of BENCHES) {
    if (only && !only.includes(name)) continue;
    const t0 = performance.now();
    try {
      results[name] = await bench();
    } catch (err) {
      results[name] = { error: err instanceof Error ? err.message : String(err) };
      console.log(`${name}: FAILED: ${(results[name] as { error: string }).error}`);
    }
    console.log(`(${name}: ${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
  }
  console.log("Summary against the budgets (DESIGN.md §6)");
  for (const b of BUDGETS) {
    const r = results[b.bench];
    if (!r) continue;
    const v = (r as Record<string, number>)[b.key];
    const within = b.max === 0 ? v === 0 : v !== undefined && (b.unit === "×" ? v <= b.max : v < b.max);
    const verdict = "error" in r ? "FAILED" : v === undefined ? "n/a" : within ? "ok" : "OVER";
    const shown = v === undefined ? "" : `${Number.isInteger(v) ? v : v.toFixed(2)} ${b.unit}`;
    const budget = b.max === 0 ? "must be 0" : b.unit === "×" ? `target ≤ ${b.max}×` : `budget < ${b.max} ${b.unit}`;
    console.log(`  ${verdict.padEnd(6)} ${b.label.padEnd(44)} ${shown.padStart(12)}   ${budget}`);
  }
  if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, `${JSON.stringify({ machine: machine(), at: new Date().toISOString(), results }, null, 2)}\n`);
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runAll();
