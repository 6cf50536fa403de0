/**
 * Cost of the standard doors (issue 15): one chat turn through `POST /v1/chat/completions` (OpenAI-compatible)
 * and through `POST /mcp` (`tools/call` of the `chat` tool) vs the same turn through `POST /api/chat`, against
 * one daemon in the same run, interleaved (the order rotates every iteration, so drift hits all three alike).
 * Each turn goes to a fresh session (`/api/chat` without a session id, `/v1` without a session key, `/mcp` with
 * a new session name), titles off; the three requests are sent with the same keep-alive `fetch` and bodies built
 * outside the timing, so the figures are the daemon's own work. Budget: < 1 ms more than `/api/chat` at p50.
 * Prints p50/p99 of each path, the p50 deltas and the median of paired differences.
 * Run: `npm run build && node dist/scripts/bench/integrations.js` (env: BENCH_INTEGRATIONS_TURNS, default 1000).
 */
import { pathToFileURL } from "node:url";
import { interleavedRounds, median, percentile, row } from "./lib/measure.js";
import { envNumber, initBenchAgent, startBenchDaemon, startFakeLlmChild } from "./lib/setup.js";
import type { BenchAgent, BenchDaemon } from "./lib/setup.js";

const TEXT = "What is the capital of France?";
const ANSWER = `You said: ${TEXT}`;

/** Runs the interleaved comparison; returns p50/p99 of the three paths and the deltas to `/api/chat`, in ms. */
export async function runIntegrationsBench(): Promise<Record<string, number>> {
  const turns = envNumber("BENCH_INTEGRATIONS_TURNS", 1_000);
  const warmup = Math.min(100, Math.ceil(turns / 10));
  const llm = await startFakeLlmChild(["--no-record"]);
  let agent: BenchAgent | undefined;
  let d: BenchDaemon | undefined;
  try {
    agent = initBenchAgent(llm.url, (c) => (c.agent = { ...c.agent, titleSessions: false, timezone: "UTC" }));
    d = await startBenchDaemon(agent);
    const base = d.url;
    const auth = { authorization: `Bearer ${d.token}`, "content-type": "application/json" };
    const restBody = JSON.stringify({ text: TEXT });
    const v1Body = JSON.stringify({ model: "agentd", messages: [{ role: "user", content: TEXT }] });
    const mcpHeaders = { ...auth, accept: "application/json, text/event-stream", "mcp-protocol-version": "2025-06-18" };
    let n = 0;
    const timed = async (fn: () => Promise<string>): Promise<number> => {
      const t0 = performance.now();
      const text = await fn();
      const ms = performance.now() - t0;
      if (text !== ANSWER) throw new Error(`unexpected answer: ${text}`);
      return ms;
    };
    const paths: Record<string, () => Promise<number>> = {
      rest: () => timed(async () => ((await (await fetch(`${base}/api/chat`, { method: "POST", headers: auth, body: restBody })).json()) as { text: string }).text),
      v1: () => timed(async () => ((await (await fetch(`${base}/v1/chat/completions`, { method: "POST", headers: auth, body: v1Body })).json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content),
      mcp: () => timed(async () => {
        const body = JSON.stringify({ jsonrpc: "2.0", id: ++n, method: "tools/call", params: { name: "chat", arguments: { message: TEXT, session: `bench-${n}` } } });
        const res = (await (await fetch(`${base}/mcp`, { method: "POST", headers: mcpHeaders, body })).json()) as { result?: { content: Array<{ text: string }> }; error?: unknown };
        if (!res.result) throw new Error(`mcp: ${JSON.stringify(res.error)}`);
        return res.result.content[0]!.text;
      }),
    };
    const { times, diffs } = await interleavedRounds(paths, { warmup, rounds: turns, baseline: "rest" });
    const out = {
      restP50Ms: median(times.rest!), restP99Ms: percentile(times.rest!, 99),
      v1P50Ms: median(times.v1!), v1P99Ms: percentile(times.v1!, 99),
      mcpP50Ms: median(times.mcp!), mcpP99Ms: percentile(times.mcp!, 99),
      v1AddedP50Ms: median(times.v1!) - median(times.rest!), mcpAddedP50Ms: median(times.mcp!) - median(times.rest!),
      v1AddedPairedMedianMs: median(diffs.v1!), mcpAddedPairedMedianMs: median(diffs.mcp!),
    };
    console.log(`A chat turn through /v1/chat/completions and /mcp's chat tool vs POST /api/chat, ${turns} interleaved rounds (+${warmup} warm-up)`);
    console.log(row("POST /api/chat p50", out.restP50Ms, "ms"), `   p99 ${out.restP99Ms.toFixed(2)} ms`);
    console.log(row("POST /v1/chat/completions p50", out.v1P50Ms, "ms"), `   p99 ${out.v1P99Ms.toFixed(2)} ms`);
    console.log(row("POST /mcp tools/call chat p50", out.mcpP50Ms, "ms"), `   p99 ${out.mcpP99Ms.toFixed(2)} ms`);
    console.log(row("/v1 added over /api/chat, p50", out.v1AddedP50Ms, "ms", 1));
    console.log(row("/mcp added over /api/chat, p50", out.mcpAddedP50Ms, "ms", 1));
    console.log(row("/v1 added, median of paired differences", out.v1AddedPairedMedianMs, "ms"));
    console.log(row("/mcp added, median of paired differences", out.mcpAddedPairedMedianMs, "ms"));
    console.log(`ratio at p50: /v1 ${(out.v1P50Ms / out.restP50Ms).toFixed(2)}, /mcp ${(out.mcpP50Ms / out.restP50Ms).toFixed(2)} (of /api/chat)`);
    return out;
  } finally {
    await d?.stop();
    await llm.stop();
    agent?.remove();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runIntegrationsBench();
