// Outbox drain benchmark (issue 11): 1,000 deliveries queued (POST /api/messages) while the Telegram bridge is
// down, then the bridge process (`agentd bridge telegram DIR`) is started and drains them through a Bot API
// stand-in (tests/support/telegram-shim.ts answering sendMessage itself, so the platform is not the bottleneck). Two shapes: one chat (strictly in order, one
// at a time) and 100 chats × 10 (chats in parallel). Baseline in the same run: the stand-in's raw send rate, the
// same sends made directly with grammY's Api (sequential for one chat, 100 lanes for 100 chats).
// Run: npm run build && node dist/scripts/bench/deliveries.js   (BENCH_DELIVERIES=1000)
import { spawn } from "node:child_process";
import { Api } from "grammy";
import { startTelegramShim, type TelegramShim } from "../../tests/support/telegram-shim.js";
import { CLI, envNumber, initBenchAgent, startBenchDaemon, startFakeLlmChild, type BenchDaemon } from "./lib/setup.js";
import { percentile, row, stopChild } from "./lib/measure.js";

const TOKEN = "5555:bench-deliveries";

/** Queues `total` deliveries over `chats` chats (round robin), then drains them through a fresh bridge process. */
async function drain(d: BenchDaemon, dir: string, shim: TelegramShim, total: number, chats: number, firstChat: number): Promise<{ drainMs: number; queueMs: number; latencyP99Ms: number }> {
  const api = (path: string, init: RequestInit = {}) => fetch(`${d.url}${path}`, { ...init, headers: { authorization: `Bearer ${d.token}`, "content-type": "application/json" } });
  const t0 = performance.now();
  const lanes = Array.from({ length: 16 }, async (_, lane) => {
    for (let i = lane; i < total; i += 16) {
      const res = await api("/api/messages", { method: "POST", body: JSON.stringify({ address: { platform: "telegram", chatId: String(firstChat + (i % chats)) }, text: `delivery ${i}` }) });
      if (res.status !== 202) throw new Error(`POST /api/messages: ${res.status}`);
    }
  });
  await Promise.all(lanes);
  const queueMs = performance.now() - t0;
  const sentBefore = shim.calls.filter((c) => c.method === "sendMessage" && c.acceptedAt).length;
  const bridge = spawn(process.execPath, [CLI, "bridge", "telegram", dir], { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, AGENTD_LOG_LEVEL: "warn" } });
  try {
    // drain time: from the bridge taking its first delivery to the daemon storing the last ack
    let first = 0;
    for (;;) {
      const sends = shim.calls.filter((c) => c.method === "sendMessage" && c.acceptedAt);
      if (!first && sends.length > sentBefore) first = sends[sentBefore]!.receivedAt;
      const open = (await (await api("/api/deliveries?state=pending&limit=1")).json()) as { deliveries: unknown[] };
      const sending = (await (await api("/api/deliveries?state=sending&limit=1")).json()) as { deliveries: unknown[] };
      if (first && open.deliveries.length === 0 && sending.deliveries.length === 0) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const { deliveries } = (await (await api(`/api/deliveries?state=delivered&limit=${total}`)).json()) as { deliveries: Array<{ createdAt: string; deliveredAt: string }> };
    const lastAck = Math.max(...deliveries.map((x) => Date.parse(x.deliveredAt)));
    const latencies = deliveries.map((x) => Date.parse(x.deliveredAt) - Date.parse(x.createdAt));
    return { drainMs: lastAck - first, queueMs, latencyP99Ms: percentile(latencies, 99) };
  } finally {
    await stopChild(bridge);
  }
}

/** The stand-in's raw rate: `total` sendMessage calls made directly, in `lanes` parallel lanes; ms. */
async function rawSends(shim: TelegramShim, total: number, lanes: number, firstChat: number): Promise<number> {
  const api = new Api(TOKEN, { apiRoot: shim.apiRoot });
  const t0 = performance.now();
  await Promise.all(Array.from({ length: lanes }, async (_, lane) => {
    for (let i = lane; i < total; i += lanes) await api.sendMessage(firstChat + lane, `raw ${i}`, { parse_mode: "HTML", link_preview_options: { is_disabled: true } });
  }));
  return performance.now() - t0;
}

/** Runs both shapes; returns the figures in ms and the ratios to the raw rate. */
export async function runDeliveriesBench(): Promise<Record<string, number>> {
  const total = envNumber("BENCH_DELIVERIES", 1000);
  const shim = await startTelegramShim({ localSends: true });
  const llm = await startFakeLlmChild(["--no-record"]);
  const agent = initBenchAgent(llm.url, (cfg) => {
    cfg.channels = { telegram: { enabled: false, policy: "open", botToken: TOKEN, apiRoot: shim.apiRoot } };
  });
  const daemon = await startBenchDaemon(agent);
  try {
    const rawOneMs = await rawSends(shim, total, 1, 100);
    const one = await drain(daemon, agent.dir, shim, total, 1, 1000);
    const rawManyMs = await rawSends(shim, total, 100, 200);
    const many = await drain(daemon, agent.dir, shim, total, 100, 2000);
    const out = {
      oneChatDrainMs: one.drainMs, oneChatRawMs: rawOneMs, oneChatRatio: one.drainMs / rawOneMs,
      manyChatsDrainMs: many.drainMs, manyChatsRawMs: rawManyMs, manyChatsRatio: many.drainMs / rawManyMs,
      queueMs: one.queueMs, latencyP99Ms: many.latencyP99Ms,
    };
    console.log(`outbox drain: ${total} deliveries queued while the bridge was down, drained by a new bridge process through the Bot API stand-in`);
    console.log(row(`queue ${total} (POST /api/messages, 16 at once)`, out.queueMs, "ms"));
    console.log(row("drain, 1 chat (one at a time, in order)", out.oneChatDrainMs, "ms"));
    console.log(row("  baseline: raw sendMessage, sequential", out.oneChatRawMs, "ms"));
    console.log(`  ratio drain / raw: ${out.oneChatRatio.toFixed(2)}  (${(total / (out.oneChatDrainMs / 1000)).toFixed(0)} vs ${(total / (out.oneChatRawMs / 1000)).toFixed(0)} messages/s)`);
    console.log(row("drain, 100 chats × 10 (chats in parallel)", out.manyChatsDrainMs, "ms"));
    console.log(row("  baseline: raw sendMessage, 100 lanes", out.manyChatsRawMs, "ms"));
    console.log(`  ratio drain / raw: ${out.manyChatsRatio.toFixed(2)}  (${(total / (out.manyChatsDrainMs / 1000)).toFixed(0)} vs ${(total / (out.manyChatsRawMs / 1000)).toFixed(0)} messages/s)`);
    console.log(row("p99 latency queued → acknowledged, 100 chats", out.latencyP99Ms, "ms"));
    return out;
  } finally {
    await daemon.stop();
    await llm.stop();
    await shim.close();
    agent.remove();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runDeliveriesBench();
