/**
 * The outbox end to end (issue 11): the real daemon (built CLI), the Telegram bridge in-process through
 * `runBridge` (so the test can take it down and bring it back), the Bot API stand-in behind the shim, and the REST
 * API: `GET /api/deliveries`, one by id, `POST /api/deliveries/{id}/retry`, `POST /api/messages`, and `/metrics`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { startFakeLlm, type FakeLlm } from "./support/fake-llm.js";
import { startTelegramShim, type TelegramShim } from "./support/telegram-shim.js";
import { cleanup, initAgent, startDaemon, waitFor, type RunningDaemon } from "./support/daemon.js";
import { runBridge } from "../bridges/telegram/main.js";
import type { Delivery } from "../protocol/deliveries.js";

const TOKEN = "777:outbox-test-token";
/** Short ack timeout: the bridge stays down across many of them. */
const ACK_TIMEOUT_MS = 300;

let llm: FakeLlm;
let shim: TelegramShim;
let agent: { dir: string };
let daemon: RunningDaemon;

function startBridge(): { stop(): Promise<void> } {
  const ac = new AbortController();
  const logger = pino({ level: "warn" }, new Writable({ write(_c, _e, cb) { cb(); } }));
  const done = runBridge({ agentDir: agent.dir, config: { botToken: TOKEN, apiRoot: shim.apiRoot }, logger, signal: ac.signal, retry: { initialMs: 50, maxMs: 200 } });
  return { stop: async () => { ac.abort(); await done; } };
}

const post = (path: string, body: unknown, headers: Record<string, string> = {}) => daemon.api(path, { method: "POST", body: JSON.stringify(body), headers });
const json = async <T>(res: Response): Promise<T> => (await res.json()) as T;
async function deliveries(query = ""): Promise<Delivery[]> {
  return (await json<{ deliveries: Delivery[] }>(await daemon.api(`/api/deliveries?limit=1000${query}`))).deliveries;
}
const texts = (chatId: number) => shim.sent(chatId).map((m) => m.text);

beforeAll(async () => {
  llm = await startFakeLlm();
  shim = await startTelegramShim();
  agent = await initAgent({
    llmUrl: llm.url,
    edit: (cfg) => {
      cfg.agent = { ...cfg.agent, titleSessions: false };
      cfg.channels = { telegram: { enabled: false, policy: "open" } };
      cfg.deliveries = { ackTimeoutMs: ACK_TIMEOUT_MS, maxAttempts: 2, retryInitialMs: 100, retryMaxMs: 200 };
    },
  });
  daemon = await startDaemon(agent.dir);
});

afterAll(async () => {
  await daemon?.stop();
  cleanup(agent.dir);
  await shim?.close();
  await llm?.close();
});

describe("the outbox over REST", () => {
  it("posts a message to a chat once per idempotency key, and shows it by id and in the list", async () => {
    const address = { platform: "telegram", chatId: "9001" };
    const first = await post("/api/messages", { address, text: "Post this **now**", idempotencyKey: "script-1" });
    expect(first.status).toBe(202);
    const a = await json<{ delivery: Delivery; duplicate: boolean }>(first);
    expect(a).toMatchObject({ duplicate: false, delivery: { address, text: "Post this **now**", state: "pending", attempts: 0 } });
    const again = await json<{ delivery: Delivery; duplicate: boolean }>(await post("/api/messages", { address, text: "something else" }, { "idempotency-key": "script-1" }));
    expect(again).toEqual({ delivery: a.delivery, duplicate: true });

    const byId = await daemon.api(`/api/deliveries/${a.delivery.id}`);
    expect((await json<{ delivery: Delivery }>(byId)).delivery.id).toBe(a.delivery.id);
    expect((await daemon.api("/api/deliveries/d_unknown")).status).toBe(404);
    expect((await deliveries("&state=pending&platform=telegram")).map((d) => d.id)).toContain(a.delivery.id);
    expect(await deliveries(`&since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).toEqual([]);
  });

  it("refuses bad input with a 400 naming the field, and stores nothing", async () => {
    const before = (await deliveries()).length;
    const bad = await post("/api/messages", { address: { platform: "Tele Gram", chatId: "1" }, text: "x" });
    expect(bad.status).toBe(400);
    expect((await json<{ error: { details: { path: string } } }>(bad)).error.details.path).toBe("address.platform");
    expect((await post("/api/messages", { address: { platform: "telegram", chatId: "1" }, text: "" })).status).toBe(400);
    expect((await daemon.api("/api/deliveries?state=lost")).status).toBe(400);
    expect(await deliveries()).toHaveLength(before);
  });
});

describe("a bridge that is down", () => {
  it("gets every pending delivery when it comes back, in order, each once, though many ack timeouts passed", async () => {
    const chats = [9101, 9102];
    for (let i = 1; i <= 5; i++) {
      for (const chatId of chats) {
        const res = await post("/api/messages", { address: { platform: "telegram", chatId: String(chatId) }, text: `note ${i} for ${chatId}` });
        expect(res.status).toBe(202);
      }
    }
    await sleep(ACK_TIMEOUT_MS * 10); // the bridge stays down across ten ack timeouts
    const waiting = (await deliveries("&platform=telegram")).filter((d) => chats.includes(Number(d.address.chatId)));
    expect(waiting.map((d) => [d.state, d.attempts])).toEqual(Array(10).fill(["pending", 0]));

    const bridge = startBridge();
    try {
      for (const chatId of chats) {
        await waitFor(() => texts(chatId).length >= 5, `5 messages in chat ${chatId}`, 15_000);
      }
      await waitFor(async () => (await deliveries("&state=pending")).length === 0 && (await deliveries("&state=sending")).length === 0, "the outbox to drain");
      for (const chatId of chats) expect(texts(chatId)).toEqual([1, 2, 3, 4, 5].map((i) => `note ${i} for ${chatId}`));
      const done = (await deliveries("&platform=telegram")).filter((d) => chats.includes(Number(d.address.chatId)));
      // (a bridge slowed down past the short ack timeout may get an offer again: it is not sent twice, see above)
      expect(done.map((d) => [d.state, d.platformMessageIds.length])).toEqual(Array(10).fill(["delivered", 1]));
      // the first REST message went out too, as markdown rendered for Telegram
      expect(texts(9001)).toEqual(["Post this <b>now</b>"]);
    } finally {
      await bridge.stop();
    }
  });
});

describe("a delivery the platform keeps refusing", () => {
  it("fails after the attempts with the reason (over REST and on the chat's next reply), and a retry sends it", async () => {
    const chatId = 9201;
    let refusing = true;
    shim.failWith = (chat) => (chat === String(chatId) && refusing ? { error_code: 500, description: "Internal Server Error: try later" } : undefined);
    const bridge = startBridge();
    try {
      const { delivery } = await json<{ delivery: Delivery }>(await post("/api/messages", { address: { platform: "telegram", chatId: String(chatId) }, text: "the lost one" }));
      const failed = await waitFor(async () => {
        const d = (await json<{ delivery: Delivery }>(await daemon.api(`/api/deliveries/${delivery.id}`))).delivery;
        return d.state === "failed" ? d : undefined;
      }, "the delivery to fail", 10_000);
      expect(failed.attempts).toBe(2);
      expect(failed.lastError).toMatch(/500: Internal Server Error: try later/);
      expect((await deliveries("&state=failed")).map((d) => d.id)).toContain(delivery.id);
      expect(await (await daemon.api("/metrics")).text()).toMatch(/agentd_deliveries\{state="failed"\} [1-9]/);

      refusing = false;
      const user = shim.emulator.getClient(TOKEN, { userId: chatId, chatId, userName: "kim", firstName: "Kim" });
      await user.sendMessage(user.makeMessage("are you there?") as never);
      const [reply] = await waitFor(() => (texts(chatId).length > 0 ? texts(chatId) : undefined), "the next reply", 10_000);
      expect(reply).toMatch(/^\(An earlier message could not be delivered here: .*500: Internal Server Error: try later.*\)\n\nYou said: are you there\?$/);

      const retried = await post(`/api/deliveries/${delivery.id}/retry`, {});
      expect(retried.status).toBe(200);
      await waitFor(() => texts(chatId).includes("the lost one"), "the retried delivery", 10_000);
      const again = await waitFor(async () => {
        const d = (await json<{ delivery: Delivery }>(await daemon.api(`/api/deliveries/${delivery.id}`))).delivery;
        return d.state === "delivered" ? d : undefined;
      }, "the retried delivery to be acknowledged");
      expect((await post(`/api/deliveries/${again.id}/retry`, {})).status).toBe(409);
      const metrics = await (await daemon.api("/metrics")).text();
      expect(metrics).toMatch(/agentd_deliveries_total\{platform="telegram",outcome="delivered"\} \d+/);
      expect(metrics).toMatch(/agentd_delivery_latency_seconds_count [1-9]/);
    } finally {
      shim.failWith = () => undefined;
      await bridge.stop();
    }
  });
});

describe("a Telegram message that arrives while the agent is down", () => {
  it("is not confirmed to Telegram by a bridge stopped before the agent stored it, and is answered once after both restart", async () => {
    const chatId = 9301;
    let bridge = startBridge();
    try {
      await daemon.stop();
      const user = shim.emulator.getClient(TOKEN, { userId: chatId, chatId, userName: "lou", firstName: "Lou" });
      await user.sendMessage(user.makeMessage("sent during the outage") as never);
      await waitFor(() => shim.emulator.storage.userMessages.some((u) => u.isRead && String((u as { message: { chat?: { id: number } } }).message.chat?.id) === String(chatId)), "the bridge to take the update");
      await bridge.stop(); // grammY confirms updates on stop: not this one, the agent never stored it
    } finally {
      daemon = await startDaemon(agent.dir);
    }
    bridge = startBridge();
    try {
      await waitFor(() => texts(chatId).length > 0, "the reply after the restart", 15_000);
      await waitFor(async () => (await deliveries("&state=pending")).length === 0, "the outbox to drain");
      expect(texts(chatId)).toEqual(["You said: sent during the outage"]);
    } finally {
      await bridge.stop();
    }
  });
});
