/**
 * Memory benchmark (issue 7): RSS of an idle daemon after start, then a soak of chat turns over the WebSocket
 * protocol (many sessions, `BENCH_SOAK_CONCURRENCY` clients, the instant scripted model) with RSS read after
 * 1,000 turns and after every further block, up to `BENCH_SOAK_TURNS` (default 100,000). Budgets: idle < 80 MB and
 * ≤ 1.5× an idle bare `node` (`node -e "setInterval(() => {}, 1e6)"`, read in the same run after the same wait; issue 20);
 * beside it two references read at the same moment: a node that has loaded `node:http` and undici, and the stack
 * floor (lib/stack-floor-server.ts: Hono + better-sqlite3 answering one health request, as the daemon has after start);
 * then the same daemon idle again after one chat turn (the first turn loads what start-up leaves for first use: the
 * openai SDK, undici's HTTP parser, ICU's date formatting for the prompt's clock, prom-client), read as the lowest
 * reading over `BENCH_SOAK_SETTLE_MS`, beside the relay floor (lib/relay-floor-server.ts: Hono, ws, better-sqlite3
 * and the openai SDK, nothing of agentd) read the same way after one turn on the same model stand-in;
 * after 100,000 turns within +20 % of after 1,000. RSS is VmRSS of the daemon process (/proc/PID/status), read
 * twice per checkpoint: at once ("busy": V8 keeps a young generation sized for the load) and as the lowest
 * reading over `BENCH_SOAK_SETTLE_MS` (default 15 s) without traffic, once V8's memory reducer has given back what
 * it does not need ("settled"); the budget ratio compares settled readings, which is what a leak would move.
 * Checkpoints: after 1,000 turns, then at 10 %, 25 %, 50 %, 75 % and 100 % of the soak. It also prints the daemon's
 * CPU time (user + system, /proc/PID/stat) per turn after the first 1,000, so a memory setting's CPU cost shows in
 * the same run.
 * Run: `npm run build && node dist/scripts/bench/memory.js` (env: BENCH_SOAK_TURNS, BENCH_SOAK_CONCURRENCY,
 * BENCH_SOAK_TURNS_PER_SESSION, BENCH_SOAK_SETTLE_MS, BENCH_IDLE_WAIT_MS).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuMsOf, percentile, ratioRow, row, stopChild, timeStart } from "./lib/measure.js";
import { benchHeader, envNumber, initBenchAgent, mb, memoryParts, rssBytes, scrapeMetrics, STACK_FLOOR_ENV, STACK_FLOOR_SERVER, startBenchDaemon, startFakeLlmChild } from "./lib/setup.js";
import type { BenchAgent, BenchDaemon } from "./lib/setup.js";
import { startRelayFloor } from "./lib/relay-floor.js";
import { TurnPool } from "./lib/turns.js";

const WARM_TURNS = 1_000;

/** Runs the idle and soak measurements; returns the figures (MB, turns/s, ratio). */
export async function runMemoryBench(): Promise<Record<string, number>> {
  const soakTurns = envNumber("BENCH_SOAK_TURNS", 100_000);
  const concurrency = envNumber("BENCH_SOAK_CONCURRENCY", 50);
  const perSession = envNumber("BENCH_SOAK_TURNS_PER_SESSION", 10);
  const idleWaitMs = envNumber("BENCH_IDLE_WAIT_MS", 3_000);
  const settleMs = envNumber("BENCH_SOAK_SETTLE_MS", 15_000);
  const llm = await startFakeLlmChild(["--no-record"]);
  const out: Record<string, number> = {};
  let agent: BenchAgent | undefined;
  let d: BenchDaemon | undefined;
  try {
    // the template's defaults as `agentd init` writes them (every feature on by default stays on)
    agent = initBenchAgent(llm.url);
    // the floor, in the same run: an idle bare node (a timer keeps it alive), read after the same wait
    const bare = spawn(process.execPath, ["-e", "setInterval(() => {}, 1e6)"], { stdio: "ignore" });
    // a second reference: an idle node that has loaded what every HTTP server on the fetch API holds (node:http and
    // the web Request/Response, i.e. Node's bundled undici, which hono's Node adapter and the openai SDK need)
    const webNode = spawn(process.execPath, ["-e", "require('node:http'); globalThis.Response; setInterval(() => {}, 1e6)"], { stdio: "ignore" });
    // a third: the stack floor, the smallest server on the daemon's libraries (Hono + better-sqlite3), after one
    // health request, as the daemon is after start
    const floorDir = mkdtempSync(join(tmpdir(), "agentd-bench-floor-"));
    const floor = await timeStart(STACK_FLOOR_SERVER, floorDir, STACK_FLOOR_ENV);
    d = await startBenchDaemon(agent);
    const pid = d.pid;
    const atStart = rssBytes(pid);
    await sleep(idleWaitMs);
    const idle = rssBytes(pid);
    const bareIdle = rssBytes(bare.pid!);
    const webNodeIdle = rssBytes(webNode.pid!);
    const floorIdle = rssBytes(floor.child.pid!);
    bare.kill();
    webNode.kill();
    await stopChild(floor.child);
    rmSync(floorDir, { recursive: true, force: true });
    const parts = memoryParts(pid);
    out.bareNodeIdleMb = mb(bareIdle);
    out.rssIdleRatio = Math.round((idle / bareIdle) * 100) / 100;
    out.webNodeIdleMb = mb(webNodeIdle);
    out.stackFloorIdleMb = mb(floorIdle);
    out.rssAtStartMb = mb(atStart);
    out.rssIdleMb = mb(idle);
    out.privateDirtyIdleMb = mb(parts.privateDirty);
    out.sharedCleanIdleMb = mb(parts.sharedClean);
    console.log(`Memory: daemon RSS (VmRSS), idle and over a soak of ${soakTurns.toLocaleString("en-US")} turns (${concurrency} clients, a new session every ${perSession} turns)`);
    console.log(row("RSS right after start", out.rssAtStartMb, "MB"));
    console.log(ratioRow(`RSS idle (${idleWaitMs / 1000} s after start)`, out.rssIdleMb, "MB", out.bareNodeIdleMb, "idle bare node", 1.5));
    console.log(ratioRow("idle bare node (the floor)", out.bareNodeIdleMb, "MB", out.bareNodeIdleMb, "idle bare node"));
    console.log(ratioRow("idle node + node:http + undici (Response)", out.webNodeIdleMb, "MB", out.bareNodeIdleMb, "idle bare node"));
    console.log(ratioRow("stack floor (Hono + better-sqlite3, health)", out.stackFloorIdleMb, "MB", out.bareNodeIdleMb, "idle bare node"));
    console.log(row("  of which private (heap, written pages)", out.privateDirtyIdleMb, "MB"));
    console.log(row("  of which shared file pages (node binary…)", out.sharedCleanIdleMb, "MB"));

    await afterOneTurn(d, llm.url, agent.root, settleMs, out);

    const pool = await TurnPool.connect(d.wsUrl, d.token, concurrency);
    const checkpoint = async () => {
      const busy = rssBytes(pid);
      let settled = busy;
      for (let t = 0; t < settleMs; t += 500) {
        await sleep(500);
        settled = Math.min(settled, rssBytes(pid));
      }
      const m = await scrapeMetrics(d!);
      const heap = `V8 heap used ${mb(m.get("nodejs_heap_size_used_bytes") ?? 0)} of ${mb(m.get("nodejs_heap_size_total_bytes") ?? 0)} MB, external ${mb(m.get("nodejs_external_memory_bytes") ?? 0)} MB`;
      const anon = mb(memoryParts(pid).privateDirty);
      console.log(row(`RSS after ${done.toLocaleString("en-US")} turns: settled`, mb(settled), "MB"), `(busy ${mb(busy)} MB; private ${anon} MB; ${heap})`);
      return { busy, settled };
    };
    let done = 0;
    let errors = 0;
    let broken = 0;
    let soakMs = 0;
    const totals: number[] = [];
    const block = async (n: number, tag: string) => {
      const s = await pool.run({ more: (started) => started < n, turnsPerSession: perSession, tag });
      done += s.turns;
      errors += s.errors;
      broken += s.broken;
      for (const ms of s.totalMs) totals.push(ms);
      if (tag !== "warm") soakMs += s.elapsedMs;
      return s;
    };
    const warm = await block(Math.min(WARM_TURNS, soakTurns), "warm");
    const after1k = await checkpoint();
    const cpuAfterWarm = cpuMsOf(pid);
    let last = after1k;
    const marks = [...new Set([0.1, 0.25, 0.5, 0.75, 1].map((f) => Math.round(soakTurns * f)))].filter((m) => m > done);
    for (const mark of marks) {
      await block(mark - done, `soak${done}`);
      last = await checkpoint();
    }
    const soakCpuMs = cpuMsOf(pid) - cpuAfterWarm;
    await pool.close();
    out.daemonCpuMsPerTurn = done > warm.turns ? Math.round((soakCpuMs / (done - warm.turns)) * 100) / 100 : 0;
    out.rssAfter1kMb = mb(after1k.settled);
    out.rssAfterSoakMb = mb(last.settled);
    out.rssAfter1kBusyMb = mb(after1k.busy);
    out.rssAfterSoakBusyMb = mb(last.busy);
    out.soakTurns = done;
    out.soakRatio = Math.round((last.settled / after1k.settled) * 1000) / 1000;
    out.soakTurnsPerSec = soakMs > 0 ? Math.round((done - warm.turns) / (soakMs / 1000)) : 0;
    out.soakTurnP50Ms = percentile(totals, 50);
    out.soakTurnP99Ms = percentile(totals, 99);
    out.soakErrors = errors;
    out.soakBroken = broken;
    console.log(row(`RSS after ${done.toLocaleString("en-US")} / after 1,000 (settled)`, out.soakRatio, "×", 1.2));
    console.log(row("  the same, busy readings", Math.round((last.busy / after1k.busy) * 1000) / 1000, "×"));
    console.log(row("soak throughput", out.soakTurnsPerSec, "turns/s"));
    console.log(row("daemon CPU time per turn (after the first 1,000)", out.daemonCpuMsPerTurn, "ms"), "(user + system, /proc/PID/stat; includes the settle windows' idle GCs)");
    console.log(row("turn latency p50 / p99", out.soakTurnP50Ms, "ms"), `/ ${out.soakTurnP99Ms.toFixed(1)} ms`);
    console.log(row("run errors, broken event streams", errors, ""), `/ ${broken}`);
    return out;
  } finally {
    await d?.stop();
    await llm.stop();
    agent?.remove();
  }
}

/**
 * One REST chat turn to the daemon and one to the relay floor (started here on the same model stand-in), then the
 * lowest RSS of each over `settleMs` without traffic (the daemon's idle GC runs 10 s after a burst), printed with
 * their ratio to the idle bare node already in `out`. Adds `rssIdleAfterTurnMb`, `rssIdleAfterTurnRatio`,
 * `relayFloorAfterTurnMb` to `out`. Throws when either turn fails.
 */
async function afterOneTurn(d: BenchDaemon, llmUrl: string, dir: string, settleMs: number, out: Record<string, number>): Promise<void> {
  const relay = await startRelayFloor(llmUrl, { model: "bench-model", stream: true, messages: [{ role: "user", content: "" }] }, dir);
  try {
    await relay.restTurn("one turn", "You said: one turn");
    const res = await fetch(`${d.url}/api/chat`, {
      method: "POST",
      headers: { authorization: `Bearer ${d.token}`, "content-type": "application/json" },
      body: JSON.stringify({ text: "one turn" }),
    });
    const reply = (await res.json()) as { text?: string };
    if (res.status !== 200 || reply.text !== "You said: one turn") throw new Error(`the daemon's turn answered ${res.status} ${JSON.stringify(reply)}`);
    let daemon = rssBytes(d.pid);
    let floor = rssBytes(relay.pid);
    for (let t = 0; t < settleMs; t += 500) {
      await sleep(500);
      daemon = Math.min(daemon, rssBytes(d.pid));
      floor = Math.min(floor, rssBytes(relay.pid));
    }
    out.rssIdleAfterTurnMb = mb(daemon);
    out.rssIdleAfterTurnRatio = Math.round((out.rssIdleAfterTurnMb / out.bareNodeIdleMb!) * 100) / 100;
    out.relayFloorAfterTurnMb = mb(floor);
    console.log(ratioRow("RSS idle after one chat turn (settled)", out.rssIdleAfterTurnMb, "MB", out.bareNodeIdleMb!, "idle bare node", 1.5));
    console.log(ratioRow("relay floor after one turn (+ ws, openai SDK)", out.relayFloorAfterTurnMb, "MB", out.bareNodeIdleMb!, "idle bare node"));
  } finally {
    await relay.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(`${benchHeader()}\n`);
  await runMemoryBench();
}
