/**
 * Gateway overhead benchmark (issues 7 and 20): one chat turn through agentd over the WebSocket protocol and over
 * `POST /api/chat` vs the same request sent straight to the same model server with the `openai` SDK, from the same
 * process, interleaved (the order rotates every round, so drift hits all three alike). The direct request carries
 * the body agentd would send for a first message: the system prompt built by the daemon's own code from the agent
 * folder, the built-in tools' schemas, one user message, `stream: true` with usage; it is built once, outside the
 * timing. agentd's WS and REST clients each move to a new session every 10 turns (`BENCH_OVERHEAD_SESSION_TURNS`),
 * so history stays short and session titles (on, the template's default) run once per session; the frame rate
 * limit is raised (one client sends hundreds of frames a second). Prints p50/p99 of each path, the added
 * latency with its ratio, and the daemon's CPU time per turn (user + system of every thread over the kept rounds,
 * from /proc: a figure the machine's load barely moves). With `BENCH_BASELINE_CLI` a second daemon built from
 * another tree gets the same WS and REST turns in the same rounds (before/after in one run). Beside them, in the same
 * rounds, the relay floor (lib/relay-floor-server.ts): the smallest relay on agentd's libraries (ws, Hono, the
 * `openai` SDK, better-sqlite3) that stores the message and the reply and streams the deltas, with nothing else of
 * agentd: what a hop with durable messages costs on these libraries, printed as its own added latency.
 * Target (issue 20): < 1 ms added at p50 over WS and over REST.
 * Run: `npm run build && node dist/scripts/bench/overhead.js` (env: BENCH_OVERHEAD_TURNS, default 1000).
 */
import { pathToFileURL } from "node:url";
import OpenAI from "openai";
import type { ChatCompletionCreateParamsStreaming } from "openai/resources/chat/completions";
import { RawWs } from "../../tests/support/raw-ws.js";
import { buildSystemPrompt } from "../../src/agent/context.js";
import { builtinTools } from "../../src/agent/tools/builtin.js";
import { cpuMsOf, interleavedRounds, median, percentile, ratioRow, row } from "./lib/measure.js";
import { benchHeader, envNumber, initBenchAgent, mb, rssBytes, startBenchDaemon, startFakeLlmChild, turnBenchConfig } from "./lib/setup.js";
import type { BenchAgent, BenchDaemon } from "./lib/setup.js";
import { startRelayFloor, type RelayFloor } from "./lib/relay-floor.js";
import { checkTurn } from "./lib/turns.js";

const TEXT = "What is the capital of France?";


/** Runs the interleaved comparison; returns p50/p99 of both paths and the added latency, in ms. */
export async function runOverheadBench(): Promise<Record<string, number>> {
  const turns = envNumber("BENCH_OVERHEAD_TURNS", 1_000);
  const warmup = Math.min(100, Math.ceil(turns / 10));
  const perSession = envNumber("BENCH_OVERHEAD_SESSION_TURNS", 10);
  const llm = await startFakeLlmChild(["--no-record"]);
  let agent: BenchAgent | undefined;
  let agent2: BenchAgent | undefined;
  let d: BenchDaemon | undefined;
  let relay: RelayFloor | undefined;
  try {
    agent = initBenchAgent(llm.url, turnBenchConfig);
    d = await startBenchDaemon(agent);
    const tools = builtinTools({ dir: agent.dir, timeZone: () => "UTC" });
    const body: ChatCompletionCreateParamsStreaming = {
      model: "gpt-4o-mini",
      messages: [
        { role: "system", content: await buildSystemPrompt(agent.dir, { timeZone: "UTC" }) },
        { role: "user", content: TEXT },
      ],
      tools: tools.map((t) => ({ type: "function", function: { name: t.name, description: t.description, parameters: t.inputSchema } })),
      stream: true,
      stream_options: { include_usage: true },
    };
    const sdk = new OpenAI({ baseURL: llm.url, apiKey: "not-needed", maxRetries: 0 });
    const ws = await RawWs.connect(d.wsUrl, d.token, { record: false });
    let n = 0;
    const sessions: Record<"ws" | "rest", { id?: string; turns: number }> = { ws: { turns: 0 }, rest: { turns: 0 } };
    /** The session for the next turn of `path`: undefined (a new one) every `perSession` turns. */
    const session = (path: "ws" | "rest"): string | undefined => {
      const s = sessions[path];
      if (s.turns++ % perSession === 0) delete s.id;
      return s.id;
    };
    const paths: Record<string, () => Promise<number>> = {
      direct: async () => {
        const t0 = performance.now();
        const stream = await sdk.chat.completions.create(body);
        let text = "";
        for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
        const ms = performance.now() - t0;
        if (text !== `You said: ${TEXT}`) throw new Error(`unexpected direct answer: ${text}`);
        return ms;
      },
      ws: async () => {
        const sessionId = session("ws");
        const t0 = performance.now();
        const t = await ws.turn(TEXT, { idempotencyKey: `overhead-${n++}`, ...(sessionId ? { sessionId } : {}) });
        const ms = performance.now() - t0;
        const problem = checkTurn(t, `You said: ${TEXT}`);
        if (problem) throw new Error(`agentd turn: ${problem}`);
        sessions.ws.id = t.sessionId;
        return ms;
      },
      rest: restPath(d, () => session("rest"), (id) => (sessions.rest.id = id)),
    };
    relay = await startRelayFloor(llm.url, body, agent.root);
    paths.relayWs = () => relay!.wsTurn(TEXT, `You said: ${TEXT}`);
    paths.relayRest = () => relay!.restTurn(TEXT, `You said: ${TEXT}`);
    // BENCH_BASELINE_CLI: the same WS turns against a second daemon built from another tree (before/after in one run)
    let base: BenchDaemon | undefined;
    if (process.env.BENCH_BASELINE_CLI) {
      base = await startBenchDaemon(agent2 = initBenchAgent(llm.url, turnBenchConfig), {}, process.env.BENCH_BASELINE_CLI);
      const baseWs = await RawWs.connect(base.wsUrl, base.token, { record: false });
      let baseSession: string | undefined;
      let baseTurns = 0;
      paths.wsBaseline = async () => {
        if (baseTurns++ % perSession === 0) baseSession = undefined;
        const t0 = performance.now();
        const t = await baseWs.turn(TEXT, { idempotencyKey: `overhead-b-${n++}`, ...(baseSession ? { sessionId: baseSession } : {}) });
        const ms = performance.now() - t0;
        baseSession = t.sessionId;
        return ms;
      };
      let baseRestSession: string | undefined;
      let baseRestTurns = 0;
      paths.restBaseline = restPath(base, () => (baseRestTurns++ % perSession === 0 ? undefined : baseRestSession), (id) => (baseRestSession = id));
    }
    // CPU of each daemon over the kept rounds (both do the same WS and REST turns): readings after the warm-up
    const daemons = { agentd: d, ...(base ? { baseline: base } : {}) };
    const cpuAt: Record<string, number> = {};
    // RSS of each daemon before any turn and after the rounds (VmRSS): what a change to the heap's settings costs
    const rssAt = Object.fromEntries(Object.entries(daemons).map(([k, x]) => [k, rssBytes(x.pid)]));
    const { times, diffs } = await interleavedRounds(paths, {
      warmup, rounds: turns, baseline: "direct",
      onWarm: () => Object.entries(daemons).forEach(([k, x]) => (cpuAt[k] = cpuMsOf(x.pid))),
    });
    const cpuPerTurn = Object.fromEntries(Object.entries(daemons).map(([k, x]) => [k, (cpuMsOf(x.pid) - cpuAt[k]!) / (2 * turns)]));
    const rssBusy = Object.fromEntries(Object.entries(daemons).map(([k, x]) => [k, rssBytes(x.pid)]));
    await ws.close();
    const direct = median(times.direct!);
    const out = {
      directP50Ms: direct, directP99Ms: percentile(times.direct!, 99),
      wsP50Ms: median(times.ws!), wsP99Ms: percentile(times.ws!, 99),
      restP50Ms: median(times.rest!), restP99Ms: percentile(times.rest!, 99),
      wsAddedP50Ms: median(times.ws!) - direct, restAddedP50Ms: median(times.rest!) - direct,
      wsAddedPairedMedianMs: median(diffs.ws!), restAddedPairedMedianMs: median(diffs.rest!),
      // the name of issue 7's figure (WS)
      addedP50Ms: median(times.ws!) - direct,
      relayWsAddedP50Ms: median(times.relayWs!) - direct, relayRestAddedP50Ms: median(times.relayRest!) - direct,
      cpuPerTurnMs: cpuPerTurn.agentd!,
      rssBeforeMb: mb(rssAt.agentd!), rssAfterMb: mb(rssBusy.agentd!),
    };
    console.log(`Overhead of a chat turn through agentd (WebSocket, REST) over a direct openai SDK call to the same stand-in, ${turns} interleaved rounds (+${warmup} warm-up), a new session every ${perSession} turns, titles on`);
    console.log(ratioRow("direct SDK call p50 (the baseline)", direct, "ms", direct, "direct"), `   p99 ${out.directP99Ms.toFixed(2)} ms`);
    console.log(ratioRow("through agentd, WS, p50", out.wsP50Ms, "ms", direct, "direct"), `   p99 ${out.wsP99Ms.toFixed(2)} ms`);
    console.log(ratioRow("through agentd, REST, p50", out.restP50Ms, "ms", direct, "direct"), `   p99 ${out.restP99Ms.toFixed(2)} ms`);
    console.log(row("added by agentd over WS, p50", out.wsAddedP50Ms, "ms", 1), `   (median of paired differences ${out.wsAddedPairedMedianMs.toFixed(2)} ms)`);
    console.log(row("added by agentd over REST, p50", out.restAddedP50Ms, "ms", 1), `   (median of paired differences ${out.restAddedPairedMedianMs.toFixed(2)} ms)`);
    console.log(row("relay floor over WS, added p50", median(times.relayWs!) - direct, "ms"), `   (median of paired differences ${median(diffs.relayWs!).toFixed(2)} ms)`);
    console.log(row("relay floor over REST, added p50", median(times.relayRest!) - direct, "ms"), `   (median of paired differences ${median(diffs.relayRest!).toFixed(2)} ms)`);
    console.log(row("daemon CPU per turn (WS and REST alike)", out.cpuPerTurnMs, "ms"), `   (user + system, /proc/PID/stat over ${2 * turns} turns)`);
    console.log(row("daemon RSS before the first turn / after the rounds", out.rssBeforeMb, "MB"), `   / ${out.rssAfterMb.toFixed(1)} MB`);
    if (base) {
      const label = `baseline ${process.env.BENCH_BASELINE_CLI}`;
      console.log(row(`${label}: WS added, p50`, median(times.wsBaseline!) - direct, "ms"), `   (median of paired differences ${median(diffs.wsBaseline!).toFixed(2)} ms)`);
      console.log(row(`${label}: REST added, p50`, median(times.restBaseline!) - direct, "ms"), `   (median of paired differences ${median(diffs.restBaseline!).toFixed(2)} ms)`);
      console.log(ratioRow(`${label}: daemon CPU per turn`, cpuPerTurn.baseline!, "ms", out.cpuPerTurnMs, "this tree's"));
      console.log(row(`${label}: RSS before / after`, mb(rssAt.baseline!), "MB"), `   / ${mb(rssBusy.baseline!).toFixed(1)} MB`);
      await base.stop();
    }
    return out;
  } finally {
    await relay?.stop();
    await d?.stop();
    await llm.stop();
    agent?.remove();
    agent2?.remove();
  }
}

/**
 * One `POST /api/chat` turn against `d`, timed from the request to the parsed answer; `session()` names the
 * session (undefined: a new one), `onSession` learns the one the daemon used. Throws on an unexpected answer.
 */
function restPath(d: BenchDaemon, session: () => string | undefined, onSession: (id: string) => void): () => Promise<number> {
  const headers = { authorization: `Bearer ${d.token}`, "content-type": "application/json" };
  return async () => {
    const sessionId = session();
    const reqBody = JSON.stringify({ text: TEXT, ...(sessionId ? { sessionId } : {}) });
    const t0 = performance.now();
    const res = await fetch(`${d.url}/api/chat`, { method: "POST", headers, body: reqBody });
    const done = (await res.json()) as { text: string; sessionId: string };
    const ms = performance.now() - t0;
    if (done.text !== `You said: ${TEXT}`) throw new Error(`unexpected REST answer: ${JSON.stringify(done).slice(0, 200)}`);
    onSession(done.sessionId);
    return ms;
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(`${benchHeader()}\n`);
  await runOverheadBench();
}
