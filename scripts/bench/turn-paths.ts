/**
 * The three ways a client can run a chat turn, side by side (issue 20): `chat.send` over the WebSocket until
 * `run.done`, `POST /api/chat` answered with JSON, and `POST /api/chat` with `Accept: text/event-stream` (SSE). For
 * each: the daemon's CPU time per turn (user + system of every thread, /proc/PID/stat, over blocks of
 * `BENCH_PATHS_BLOCK` (25) turns of one path), the p50 of the turn as the client sees it, and the TCP segments the
 * daemon sent to its clients per turn (`data_segs_out` of its sockets from `ss -tin`, Linux iproute2; about one per
 * socket write: the figure the per-tick batching of the transports lowers; "n/a" without `ss`). A new session every
 * 10 turns, titles on, the model stand-in answering at once. With `BENCH_BASELINE_CLI` (another tree's
 * bin/agentd.cjs, built) a second daemon gets the same blocks, the two alternating block by block (before/after in
 * one run). Prints the load average before and after.
 * Run: `npm run build && node dist/scripts/bench/turn-paths.js` (env: BENCH_PATHS_ROUNDS, default 20).
 */
import { execFileSync } from "node:child_process";
import { loadavg } from "node:os";
import { pathToFileURL } from "node:url";
import { RawWs } from "../../tests/support/raw-ws.js";
import { cpuMsOf, median, ratioRow, row } from "./lib/measure.js";
import { benchHeader, envNumber, initBenchAgent, startBenchDaemon, startFakeLlmChild, turnBenchConfig, type BenchAgent, type BenchDaemon } from "./lib/setup.js";

const TEXT = "What is the capital of France?";
const PATHS = ["ws", "rest", "sse"] as const;
type PathName = (typeof PATHS)[number];

/** TCP segments with data the process listening on `port` has sent on its accepted connections, or undefined without `ss`. */
function segmentsOut(port: number): number | undefined {
  try {
    const out = execFileSync("ss", ["-tinH", "state", "established", `( sport = :${port} )`], { encoding: "utf8" });
    let n = 0;
    for (const m of out.matchAll(/data_segs_out:(\d+)/g)) n += Number(m[1]);
    return n;
  } catch {
    return undefined;
  }
}

interface Tree {
  label: string;
  agent: BenchAgent;
  d: BenchDaemon;
  ws: RawWs;
  turn: Record<PathName, () => Promise<void>>;
  cpuMs: Record<PathName, number>;
  segments: Record<PathName, number | undefined>;
  times: Record<PathName, number[]>;
}

async function startTree(label: string, llmUrl: string, cli?: string): Promise<Tree> {
  const agent = initBenchAgent(llmUrl, turnBenchConfig);
  const d = await startBenchDaemon(agent, {}, ...(cli ? [cli] : []));
  const ws = await RawWs.connect(d.wsUrl, d.token, { record: false });
  const headers = { authorization: `Bearer ${d.token}`, "content-type": "application/json" };
  const sessions: Record<PathName, { id?: string; turns: number }> = { ws: { turns: 0 }, rest: { turns: 0 }, sse: { turns: 0 } };
  const session = (p: PathName): string | undefined => {
    const s = sessions[p];
    if (s.turns++ % 10 === 0) delete s.id;
    return s.id;
  };
  let n = 0;
  const post = (p: PathName, accept?: string) => {
    const id = session(p);
    return fetch(`${d.url}/api/chat`, { method: "POST", headers: accept ? { ...headers, accept } : headers, body: JSON.stringify({ text: TEXT, ...(id ? { sessionId: id } : {}) }) });
  };
  const turn: Tree["turn"] = {
    ws: async () => {
      const id = session("ws");
      const t = await ws.turn(TEXT, { idempotencyKey: `paths-${label}-${n++}`, ...(id ? { sessionId: id } : {}) });
      if (t.final.event !== "run.done") throw new Error(`${label} WS turn: ${JSON.stringify(t.final).slice(0, 200)}`);
      sessions.ws.id = t.sessionId;
    },
    rest: async () => {
      const done = (await (await post("rest")).json()) as { text?: string; sessionId: string };
      if (done.text !== `You said: ${TEXT}`) throw new Error(`${label} REST turn: ${JSON.stringify(done).slice(0, 200)}`);
      sessions.rest.id = done.sessionId;
    },
    sse: async () => {
      const text = await (await post("sse", "text/event-stream")).text();
      const data = /^event: run\.done\ndata: (.*)$/m.exec(text)?.[1];
      if (!data) throw new Error(`${label} SSE turn: ${text.slice(0, 200)}`);
      sessions.sse.id = (JSON.parse(data) as { sessionId: string }).sessionId;
    },
  };
  const zero = () => ({ ws: 0, rest: 0, sse: 0 });
  return { label, agent, d, ws, turn, cpuMs: zero(), segments: zero(), times: { ws: [], rest: [], sse: [] } };
}

/** Runs the blocks; returns CPU per turn (ms), p50 (ms) and segments per turn of each path for this tree. */
export async function runTurnPathsBench(): Promise<Record<string, number>> {
  const rounds = envNumber("BENCH_PATHS_ROUNDS", 20);
  const block = envNumber("BENCH_PATHS_BLOCK", 25);
  const load = () => loadavg().map((x) => x.toFixed(2)).join(" / ");
  const loadBefore = load();
  const llm = await startFakeLlmChild(["--no-record"]);
  const trees: Tree[] = [];
  try {
    trees.push(await startTree("this tree", llm.url));
    if (process.env.BENCH_BASELINE_CLI) trees.push(await startTree(`baseline ${process.env.BENCH_BASELINE_CLI}`, llm.url, process.env.BENCH_BASELINE_CLI));
    for (const t of trees) for (const p of PATHS) for (let i = 0; i < 30; i++) await t.turn[p](); // warm-up
    for (let r = 0; r < rounds; r++) {
      for (const p of PATHS) {
        for (const t of r % 2 ? [...trees].reverse() : trees) {
          const cpu0 = cpuMsOf(t.d.pid);
          const seg0 = segmentsOut(t.d.port);
          for (let i = 0; i < block; i++) {
            const t0 = performance.now();
            await t.turn[p]();
            t.times[p].push(performance.now() - t0);
          }
          t.cpuMs[p] += cpuMsOf(t.d.pid) - cpu0;
          const seg1 = segmentsOut(t.d.port);
          t.segments[p] = seg0 === undefined || seg1 === undefined || t.segments[p] === undefined ? undefined : t.segments[p]! + seg1 - seg0;
        }
      }
    }
    const turns = rounds * block;
    console.log(`Chat turns by path: WS, POST /api/chat (JSON), POST /api/chat (SSE); ${rounds} rounds of ${block}-turn blocks per path and tree, a new session every 10 turns, titles on`);
    const out: Record<string, number> = {};
    for (const p of PATHS) {
      const [self, base] = trees;
      const cpu = self!.cpuMs[p] / turns;
      const seg = self!.segments[p];
      out[`${p}CpuPerTurnMs`] = cpu;
      out[`${p}P50Ms`] = median(self!.times[p]);
      if (seg !== undefined) out[`${p}SegmentsPerTurn`] = seg / turns;
      const segText = (s: number | undefined) => (s === undefined ? "n/a" : (s / turns).toFixed(2));
      if (base) console.log(ratioRow(`${p}: daemon CPU per turn`, cpu, "ms", base.cpuMs[p] / turns, "baseline's"), `   baseline ${(base.cpuMs[p] / turns).toFixed(2)} ms`);
      else console.log(row(`${p}: daemon CPU per turn`, cpu, "ms"));
      console.log(row(`${p}: p50`, out[`${p}P50Ms`]!, "ms"), base ? `   baseline ${median(base.times[p]).toFixed(2)} ms` : "");
      console.log(`${`${p}: TCP segments to the client per turn`.padEnd(48)} ${segText(seg)}${base ? `   baseline ${segText(base.segments[p])}` : ""}`);
    }
    console.log(`load average before: ${loadBefore}; after: ${load()}`);
    return out;
  } finally {
    for (const t of trees) {
      await t.ws.close();
      await t.d.stop();
      t.agent.remove();
    }
    await llm.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(`${benchHeader()}\n`);
  await runTurnPathsBench();
}
