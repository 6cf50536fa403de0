/**
 * Start-up benchmark (issues 7 and 20): `agentd start DIR` until `.port` exists and `/api/health` answers 200,
 * against the floor measured in the same run: `node -e 0` of the same binary. Variants, interleaved so drift on a
 * shared machine hits all alike, `BENCH_RUNS` rounds (default 10), medians printed with their ratio to the floor:
 * - the `agentd` command (bin/agentd.cjs: version check, compile cache on, then the bundle): what users run;
 * - the same with Node's compile cache off (`NODE_DISABLE_COMPILE_CACHE=1`): what the cache buys;
 * - the same with `--enable-source-maps` (what agentd's own stack mapping, src/logs/source-mapped-stack.ts, saves);
 * - `BENCH_START_BASELINE=path/to/main.js-or-agentd.cjs`: another build (e.g. the tree before a change), so a
 *   before/after comparison comes from one run;
 * - `BENCH_START_UNBUNDLED=1`: the unbundled tsc output (what bundling saves; slow);
 * - the stack floor (lib/stack-floor-server.ts): the smallest server on the daemon's own libraries (Hono on
 *   @hono/node-server, better-sqlite3 in WAL mode) answering the same health request: what these libraries cost
 *   to start before any of agentd runs;
 * - `BENCH_START_QUICK=1` leaves out the compile-cache and source-map variants (more rounds of a before/after in
 *   the same time);
 * - the same agent with a long history: `BENCH_START_HISTORY` stored turns (default 100,000; 0 leaves the variant
 *   out), each a user message, a reply, a finished run and its usage row, as a year of heavy use leaves them: what a
 *   start reads of the database must not grow with it (a full scan of the runs took ~28 ms per 100,000);
 * - `BENCH_START_FIRST_TURN=1`: the agent talks to the scripted model server (tests/support/fake-llm.ts) and, after
 *   each start, one `POST /api/chat` turn is timed, request to answer: what deferring work until after listen
 *   must not slow down (the first turn loads what start-up left for first use).
 * Beside each wall time, the CPU ms the daemon had used when health answered and when `.port` appeared (from
 * /proc, Linux only; what a loaded machine changes far less), medians of the rounds, with their ratio to the first
 * variant's.
 * Target (issue 20): the agentd command ≤ 3× `node -e 0`.
 * Run: `npm run build && node dist/scripts/bench/start.js` (env: BENCH_RUNS).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Store } from "../../src/store/store.js";
import { PACKAGE_ROOT } from "../../src/version.js";
import { median, ratioRow, stopChild, timeStart } from "./lib/measure.js";
import { benchHeader, CLI, envNumber, initBenchAgent, STACK_FLOOR_ENV, STACK_FLOOR_SERVER, startFakeLlmChild } from "./lib/setup.js";

/** Variants after whose start no chat turn is timed: the stack floor answers health only; the history agents have no model. */
const NO_TURN = new Set(["stackFloor", "startHistory", "startBaselineHistory"]);

/** The start target of issue 20, as a ratio to `node -e 0`. */
export const START_TARGET_RATIO = 3;

/** Measures start-up; returns the medians in ms and the ratios to the floor. */
export async function runStartBench(): Promise<Record<string, number>> {
  const runs = envNumber("BENCH_RUNS", 10);
  const llm = process.env.BENCH_START_FIRST_TURN ? await startFakeLlmChild(["--no-record"]) : undefined;
  const agent = llm ? initBenchAgent(llm.url) : undefined;
  const root = agent?.root ?? mkdtempSync(join(tmpdir(), "agentd-bench-start-"));
  const dir = join(root, "agent");
  if (!agent) execFileSync(process.execPath, [CLI, "init", dir], { stdio: "ignore" });
  const variants: Array<{ key: string; label: string; cli: string; env: NodeJS.ProcessEnv; dir?: string }> = [{ key: "start", label: "agentd start (bin/agentd.cjs)", cli: CLI, env: {} }];
  const history = envNumber("BENCH_START_HISTORY", 100_000);
  if (history > 0) {
    const historyDir = join(root, "agent-with-history");
    execFileSync(process.execPath, [CLI, "init", historyDir], { stdio: "ignore" });
    seedHistory(join(historyDir, "agentd.db"), history);
    variants.push({ key: "startHistory", label: `  the same, ${history.toLocaleString("en-US")} turns stored`, cli: CLI, env: {}, dir: historyDir });
  }
  if (!process.env.BENCH_START_QUICK) {
    variants.push(
      { key: "startNoCompileCache", label: "  the same, compile cache off", cli: CLI, env: { NODE_DISABLE_COMPILE_CACHE: "1" } },
      // Node maps every module's source map at load with this flag; agentd maps a stack only when it writes one
      { key: "startSourceMapsFlag", label: "  the same, --enable-source-maps", cli: CLI, env: { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --enable-source-maps`.trim() } },
    );
  }
  variants.push({ key: "stackFloor", label: "stack floor (Hono + better-sqlite3)", cli: STACK_FLOOR_SERVER, env: STACK_FLOOR_ENV });
  if (process.env.BENCH_START_BASELINE) {
    const baseline = resolve(process.env.BENCH_START_BASELINE);
    variants.push({ key: "startBaseline", label: `baseline ${process.env.BENCH_START_BASELINE}`, cli: baseline, env: {} });
    const withHistory = variants.find((v) => v.key === "startHistory");
    if (withHistory) variants.push({ ...withHistory, key: "startBaselineHistory", label: `  baseline, the same ${history.toLocaleString("en-US")} turns (this tree's schema)`, cli: baseline });
  }
  if (process.env.BENCH_START_UNBUNDLED) {
    variants.push({ key: "startUnbundled", label: "unbundled tsc output", cli: join(PACKAGE_ROOT, "dist", "src", "cli", "main.js"), env: {} });
  }
  const floor: number[] = [];
  const times: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v.key, []]));
  const cpu: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v.key, []]));
  const portCpu: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v.key, []]));
  const firstTurn: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v.key, []]));
  try {
    // one start of each first, unmeasured: it fills the compile cache, as any first start after an install does
    for (const v of variants) await stopChild((await timeStart(v.cli, v.dir ?? dir, v.env)).child);
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      spawnSync(process.execPath, ["-e", "0"]);
      floor.push(performance.now() - t0);
      for (const v of variants) {
        const { ms, cpuMs, portCpuMs, child, port } = await timeStart(v.cli, v.dir ?? dir, v.env);
        times[v.key]!.push(ms);
        cpu[v.key]!.push(cpuMs);
        portCpu[v.key]!.push(portCpuMs);
        // the stack floor answers health only: no chat turn to time
        if (agent && !NO_TURN.has(v.key)) firstTurn[v.key]!.push(await timeFirstTurn(port, agent.token));
        await stopChild(child);
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
    await llm?.stop();
  }
  const nodeFloorMs = median(floor);
  const out: Record<string, number> = { nodeFloorMs };
  console.log(`agentd start → .port + /api/health 200, median of ${runs} starts, against node -e 0 measured in the same rounds`);
  for (const v of variants) {
    const ms = median(times[v.key]!);
    out[`${v.key}Ms`] = ms;
    out[`${v.key}Ratio`] = Math.round((ms / nodeFloorMs) * 100) / 100;
    console.log(ratioRow(v.label, ms, "ms", nodeFloorMs, "node -e 0", v.key === "start" ? START_TARGET_RATIO : undefined));
  }
  console.log(ratioRow("node -e 0 (the floor)", nodeFloorMs, "ms", nodeFloorMs, "node -e 0"));
  const cpuOf = (key: string) => median(cpu[key]!);
  if (!Number.isNaN(cpuOf("start"))) {
    console.log(`\nCPU time of the daemon when health answered (/proc/<pid>/task/*/schedstat), median of ${runs} starts`);
    for (const v of variants) {
      const ms = cpuOf(v.key);
      out[`${v.key}CpuMs`] = ms;
      console.log(ratioRow(v.label, ms, "ms CPU", cpuOf("start"), "agentd start"));
    }
    console.log(`CPU time of the daemon when .port appeared (the work before it listens), median of ${runs} starts`);
    for (const v of variants) {
      const ms = median(portCpu[v.key]!);
      out[`${v.key}PortCpuMs`] = ms;
      console.log(ratioRow(v.label, ms, "ms CPU", median(portCpu.start!), "agentd start"));
    }
  }
  if (agent) {
    console.log(`First REST chat turn after the start (health 200 → the answer, scripted model server), median of ${runs} starts`);
    for (const v of variants.filter((x) => !NO_TURN.has(x.key))) {
      const ms = median(firstTurn[v.key]!);
      out[`${v.key}FirstTurnMs`] = ms;
      console.log(ratioRow(v.label, ms, "ms", median(firstTurn.start!), "agentd start"));
    }
  }
  console.log(`load average at the end: ${loadavg().map((x) => x.toFixed(2)).join(" / ")} (1 / 5 / 15 min)`);
  return out;
}

/**
 * Stores `turns` finished chat turns in the agent database `file` (a session per 20 turns), through the store's own
 * writes in one transaction: user message, reply, the run ended `ok`, its usage row.
 */
function seedHistory(file: string, turns: number): void {
  const store = new Store(file);
  try {
    store.transaction(() => {
      let sessionId = "";
      for (let i = 0; i < turns; i++) {
        if (i % 20 === 0) sessionId = store.createSession(`history ${i / 20}`).id;
        const { run } = store.acceptMessage({ sessionId, content: `message ${i}`, idempotencyKey: `history-${i}` });
        const reply = store.insertMessage({ sessionId, runId: run.id, role: "assistant", content: `reply ${i}`, status: "ok", model: "main" });
        store.recordUsage({ sessionId, runId: run.id, model: "main", provider: "bench", purpose: "chat", promptTokens: 20, completionTokens: 5 });
        store.updateRun(run.id, { status: "ok", model: "main", assistantMessageId: reply.id, startedAt: run.createdAt, finishedAt: run.createdAt });
      }
    });
  } finally {
    store.close();
  }
}

/** Times one `POST /api/chat` turn in a new session, request to the parsed answer, in ms; throws on a wrong answer. */
async function timeFirstTurn(port: number, token: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`http://127.0.0.1:${port}/api/chat`, {
    method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ text: "hello" }),
  });
  const done = (await res.json()) as { text?: string };
  const ms = performance.now() - t0;
  if (done.text !== "You said: hello") throw new Error(`unexpected first turn answer: ${JSON.stringify(done).slice(0, 200)}`);
  return ms;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(`${benchHeader()}\n`);
  await runStartBench();
}
