/**
 * Gateway overhead benchmark (issue 7): one chat turn through agentd's WebSocket protocol vs the same request
 * sent straight to the same model server with the `openai` SDK, from the same process, interleaved (the order
 * flips every iteration, so drift hits both alike). The direct request carries the body agentd would send: the
 * system prompt built by the daemon's own code from the agent folder, the built-in tools' schemas, one user
 * message, `stream: true` with usage; it is built once, outside the timing. agentd's turn runs in a fresh session
 * (so the context is the same single message) with session titles off (a title is a second model call, not
 * gateway overhead) and the frame rate limit raised (one client sends hundreds of frames a second). Prints p50
 * and p99 of both and the differences. Budget: < 2 ms added at p50.
 * Run: `npm run build && node dist/scripts/bench/overhead.js` (env: BENCH_OVERHEAD_TURNS, default 1000).
 */
import { pathToFileURL } from "node:url";
import OpenAI from "openai";
import type { ChatCompletionCreateParamsStreaming } from "openai/resources/chat/completions";
import { RawWs } from "../../tests/support/raw-ws.js";
import { buildSystemPrompt } from "../../src/agent/context.js";
import { builtinTools } from "../../src/agent/tools/builtin.js";
import { median, percentile, row } from "./lib/measure.js";
import { envNumber, initBenchAgent, startBenchDaemon, startFakeLlmChild } from "./lib/setup.js";
import type { BenchAgent, BenchDaemon } from "./lib/setup.js";
import { checkTurn } from "./lib/turns.js";

const TEXT = "What is the capital of France?";

/** Runs the interleaved comparison; returns p50/p99 of both paths and the added latency, in ms. */
export async function runOverheadBench(): Promise<Record<string, number>> {
  const turns = envNumber("BENCH_OVERHEAD_TURNS", 1_000);
  const warmup = Math.min(100, Math.ceil(turns / 10));
  const llm = await startFakeLlmChild(["--no-record"]);
  let agent: BenchAgent | undefined;
  let d: BenchDaemon | undefined;
  try {
    agent = initBenchAgent(llm.url, (c) => {
      c.agent = { ...c.agent, titleSessions: false, timezone: "UTC" };
      // one client sending turns back to back, several hundred a second: above the default frame rate limit
      c.server = { ...c.server, maxFramesPerSecond: 100_000, frameBurst: 100_000 };
    });
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
    const direct = async (): Promise<number> => {
      const t0 = performance.now();
      const stream = await sdk.chat.completions.create(body);
      let text = "";
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
      if (text !== `You said: ${TEXT}`) throw new Error(`unexpected direct answer: ${text}`);
      return performance.now() - t0;
    };
    const ws = await RawWs.connect(d.wsUrl, d.token, { record: false });
    let n = 0;
    const viaAgentd = async (): Promise<number> => {
      const t0 = performance.now();
      const t = await ws.turn(TEXT, { idempotencyKey: `overhead-${n++}` });
      const problem = checkTurn(t, `You said: ${TEXT}`);
      if (problem) throw new Error(`agentd turn: ${problem}`);
      return performance.now() - t0;
    };
    const a: number[] = [];
    const b: number[] = [];
    const diffs: number[] = [];
    for (let i = 0; i < warmup + turns; i++) {
      let x: number;
      let y: number;
      if (i % 2 === 0) {
        x = await direct();
        y = await viaAgentd();
      } else {
        y = await viaAgentd();
        x = await direct();
      }
      if (i < warmup) continue;
      a.push(x);
      b.push(y);
      diffs.push(y - x);
    }
    await ws.close();
    const out = {
      directP50Ms: median(a), directP99Ms: percentile(a, 99),
      agentdP50Ms: median(b), agentdP99Ms: percentile(b, 99),
      addedP50Ms: median(b) - median(a), addedP99Ms: percentile(b, 99) - percentile(a, 99),
      addedPairedMedianMs: median(diffs),
    };
    console.log(`Overhead of a chat turn through agentd (WebSocket) over a direct openai SDK call, ${turns} interleaved pairs (+${warmup} warm-up)`);
    console.log(row("direct SDK call p50", out.directP50Ms, "ms"), `   p99 ${out.directP99Ms.toFixed(2)} ms`);
    console.log(row("through agentd p50", out.agentdP50Ms, "ms"), `   p99 ${out.agentdP99Ms.toFixed(2)} ms`);
    console.log(row("added by agentd, p50", out.addedP50Ms, "ms", 2));
    console.log(row("added by agentd, p99", out.addedP99Ms, "ms"));
    console.log(row("added, median of paired differences", out.addedPairedMedianMs, "ms"));
    console.log(`ratio agentd / direct at p50: ${(out.agentdP50Ms / out.directP50Ms).toFixed(2)}`);
    return out;
  } finally {
    await d?.stop();
    await llm.stop();
    agent?.remove();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runOverheadBench();
