/**
 * Schedules and webhooks end to end (issue 11): the real daemon (built CLI), the scripted model, the Telegram
 * bridge in-process through `runBridge`, and `telegram-test-api` standing in for the Bot API. What the user sees
 * is what the stand-in stored as the bot's messages in the chat.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "node:net";
import { Writable } from "node:stream";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { TelegramServer } from "telegram-test-api/lib/telegramServer.js";
import type { Transformer } from "grammy";
import { freePort, idlePause } from "./support/telegram-shim.js";
import { startFakeLlm, type FakeLlm, type RecordedRequest, type ScriptedTurn } from "./support/fake-llm.js";
import { initAgent, startDaemon, waitFor, cleanup, type RunningDaemon } from "./support/daemon.js";
import { runBridge } from "../bridges/telegram/main.js";
import { signBody } from "../src/hooks/signature.js";

const TOKEN = "123456:TEST-telegram-token";
const SECRET = "hook-secret-0123456789";

type Msg = { role: string; content: unknown };
const messagesOf = (req: RecordedRequest) => (req.body?.messages ?? []) as Msg[];
const lastUser = (req: RecordedRequest) => String([...messagesOf(req)].reverse().find((m) => m.role === "user")?.content ?? "");

let llm: FakeLlm;
let tg: TelegramServer;
let apiRoot: string;
let agent: { dir: string };
let daemon: RunningDaemon;
let bridge: { stop(): Promise<void> };
let ticks = 0;
let crashAnswers = 0;

/** The bot's messages in a chat of the stand-in, oldest first. */
const botTexts = (chatId: number) => tg.storage.botMessages.filter((m) => String(m.message.chat_id) === String(chatId)).map((m) => String((m.message as { text?: string }).text));

function startBridge(): { stop(): Promise<void> } {
  const ac = new AbortController();
  const logger = pino({ level: "warn" }, new Writable({ write(_c, _e, cb) { cb(); } }));
  const done = runBridge({ agentDir: agent.dir, config: { botToken: TOKEN, apiRoot, enabled: false }, logger, signal: ac.signal, apiTransformers: [idlePause], retry: { initialMs: 50, maxMs: 200 } });
  return { stop: async () => { ac.abort(); await done; } };
}

/** Answers per request: tool results get a short confirmation, scheduled prompts and webhooks a scripted text. */
function script(req: RecordedRequest): ScriptedTurn | undefined {
  const msgs = messagesOf(req);
  const last = msgs[msgs.length - 1];
  const user = lastUser(req);
  if (last?.role === "tool") return { text: "OK, I will remind you." };
  if (user.includes("remind me in 2 seconds to stretch")) {
    return { toolCalls: [{ name: "schedule_create", arguments: JSON.stringify({ name: "stretch", prompt: "Remind the user to stretch.", at: "in 2 seconds" }) }] };
  }
  if (user.includes("Remind the user to stretch.")) return { text: "Time to stretch!" };
  if (user.includes("TICK")) return { text: `tick ${++ticks}` };
  if (user.includes("LATE-JOB")) return { text: "The late job ran." };
  if (user.includes("CRASH-JOB")) {
    const n = ++crashAnswers;
    return { text: `The crash job ran (answer ${n}).`, delayMs: n === 1 ? 60_000 : 0 };
  }
  if (user.includes("[Webhook")) return { text: `Build ${/conclusion: (\w+)/.exec(user)?.[1] ?? "?"} for ${/repo: (\S+)/.exec(user)?.[1] ?? "?"}` };
  if (user.includes("[Heartbeat check-in]")) return { text: "NOTHING_TO_REPORT", usage: { prompt_tokens: 100, completion_tokens: 5 } };
  return undefined;
}

beforeAll(async () => {
  llm = await startFakeLlm();
  llm.onRequest(script);
  apiRoot = `http://127.0.0.1:${await freePort()}`;
  tg = new TelegramServer({ port: Number(new URL(apiRoot).port), host: "127.0.0.1", storeTimeout: 600 });
  await tg.start();
  agent = await initAgent({
    llmUrl: llm.url,
    edit: (cfg) => {
      cfg.channels = { telegram: { enabled: false, policy: "allowlist", allowlist: ["100"] } };
      cfg.hooks = {
        plain: { prompt: "Plain hook: {{body.note}}" },
        build: { secret: SECRET, prompt: "CI finished. repo: {{body.repository.full_name}} conclusion: {{body.workflow_run.conclusion}}", deliverTo: { platform: "telegram", chatId: "300" }, maxBytes: 2048 },
      };
      cfg.heartbeat = { everyMs: 2000, deliverTo: { platform: "telegram", chatId: "400" } };
    },
  });
  writeFileSync(join(agent.dir, "HEARTBEAT.md"), "# Heartbeat\n- Tell me if anything in my inbox is urgent\n");
  daemon = await startDaemon(agent.dir);
  bridge = startBridge();
});

afterAll(async () => {
  await bridge?.stop();
  await daemon?.stop();
  await tg?.stop();
  await llm?.close();
  if (agent) cleanup(agent.dir);
});

const json = async (r: Response) => ({ status: r.status, body: (await r.json()) as any });

describe("schedules through the real daemon and the Telegram bridge", () => {
  it("a one-shot made from a chat ('remind me in 2 seconds to stretch') arrives in that chat once", async () => {
    const client = tg.getClient(TOKEN, { userId: 100, userName: "ann", firstName: "ann", chatId: 100, type: "private" });
    await client.sendMessage(client.makeMessage("remind me in 2 seconds to stretch") as never);
    await waitFor(() => botTexts(100).includes("Time to stretch!"), "the reminder in chat 100", 20_000);
    const { body } = await json(await daemon.api("/api/schedules"));
    const job = body.schedules.find((s: any) => s.name === "stretch");
    expect(job).toMatchObject({ source: "agent", kind: "at", session: "chat", deliverTo: [{ platform: "telegram", chatId: "100" }], nextRunAt: null });
    await waitFor(async () => (await json(await daemon.api(`/api/schedules/${job.id}`))).body.lastFiring?.status === "ok", "the firing to be recorded ok");
    await sleep(500);
    expect(botTexts(100)).toEqual(["OK, I will remind you.", "Time to stretch!"]);
    const firings = (await json(await daemon.api(`/api/schedules/${job.id}/firings`))).body.firings;
    expect(firings).toHaveLength(1);
    expect(firings[0]).toMatchObject({ trigger: "due", status: "ok", attempts: 1 });
    expect(firings[0].deliveryIds).toHaveLength(1);
    // the reminder ran in the chat's conversation: its session has the request, the prompt and both replies
    const delivery = (await json(await daemon.api(`/api/deliveries/${firings[0].deliveryIds[0]}`))).body.delivery;
    expect(delivery).toMatchObject({ runId: firings[0].runId, state: "delivered", text: "Time to stretch!" });
    const sessions = (await json(await daemon.api("/api/sessions?limit=100"))).body.sessions as Array<{ id: string }>;
    const histories = await Promise.all(sessions.map(async (s) => (await json(await daemon.api(`/api/sessions/${s.id}/messages`))).body.messages as Array<{ content: string }>));
    const chatHistory = histories.find((h) => h.some((m) => m.content.includes("remind me in 2 seconds to stretch")))!;
    expect(chatHistory.map((m) => m.content)).toEqual(expect.arrayContaining(["OK, I will remind you.", "Time to stretch!"]));
  });

  it("a cron job every second delivers one message per second, none twice, in order", async () => {
    const created = await json(await daemon.api("/api/schedules", { method: "POST", body: JSON.stringify({ name: "ticker", cron: "* * * * * *", prompt: "TICK", deliverTo: { platform: "telegram", chatId: "200" } }) }));
    expect(created.status).toBe(201);
    await waitFor(() => botTexts(200).length >= 10, "10 ticks in chat 200", 30_000, 100);
    await daemon.api(`/api/schedules/${created.body.id}`, { method: "PATCH", body: JSON.stringify({ enabled: false }) });
    const firings = await waitFor(async () => {
      const f = (await json(await daemon.api(`/api/schedules/${created.body.id}/firings?limit=1000`))).body.firings as any[];
      return f.every((x) => x.status !== "running") ? f : undefined;
    }, "the firings to finish", 20_000);
    await waitFor(() => botTexts(200).length >= firings.length, "every firing delivered", 10_000);
    await sleep(500);
    const texts = botTexts(200);
    expect(texts).toHaveLength(firings.length);
    expect(new Set(texts).size).toBe(texts.length);
    const numbers = texts.map((t) => Number(/tick (\d+)/.exec(t)![1]));
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    // consecutive due times, one second apart: none skipped, none fired twice
    const due = firings.map((f) => Date.parse(f.dueAt)).sort((a, b) => a - b);
    for (let i = 1; i < due.length; i++) expect(due[i]! - due[i - 1]!).toBe(1000);
    const metrics = await (await daemon.api("/metrics")).text();
    expect(Number(/^agentd_schedule_firings\{status="ok"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(firings.length);
  });

  it("a webhook signed like GitHub runs once and its result arrives in the configured chat; a bad signature stores nothing", async () => {
    const payload = JSON.stringify({ repository: { full_name: "me/app" }, workflow_run: { conclusion: "failure" } });
    const post = (body: string, headers: Record<string, string>) => fetch(`${daemon.url}/api/hooks/build`, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
    const sessionsBefore = (await json(await daemon.api("/api/sessions?limit=1000"))).body.sessions.length;
    const bad = await post(payload, { "x-hub-signature-256": signBody("wrong-secret-0123456789", payload), "x-github-delivery": "d-1" });
    expect(bad.status).toBe(401);
    expect((await post(payload, { "x-github-delivery": "d-1" })).status).toBe(401);
    expect((await json(await daemon.api("/api/sessions?limit=1000"))).body.sessions.length).toBe(sessionsBefore);
    expect((await post("x".repeat(4096), { "x-hub-signature-256": signBody(SECRET, "x".repeat(4096)) })).status).toBe(413);

    const ok = await json(await post(payload, { "x-hub-signature-256": signBody(SECRET, payload), "x-github-delivery": "d-1" }));
    expect(ok.status).toBe(202);
    expect(ok.body).toMatchObject({ runId: expect.any(String), duplicate: false });
    const replay = await json(await post(payload, { "x-hub-signature-256": signBody(SECRET, payload), "x-github-delivery": "d-1" }));
    expect(replay).toMatchObject({ status: 202, body: { runId: ok.body.runId, duplicate: true } });
    await waitFor(() => botTexts(300).length > 0, "the webhook's message in chat 300", 15_000);
    await sleep(500);
    expect(botTexts(300)).toEqual(["Build failure for me/app"]);
    // a hook without a secret takes the bearer token instead, and only that
    expect((await fetch(`${daemon.url}/api/hooks/plain`, { method: "POST", body: "{}" })).status).toBe(401);
    const plain = await json(await daemon.api("/api/hooks/plain", { method: "POST", body: JSON.stringify({ note: "hi" }) }));
    expect(plain).toMatchObject({ status: 202, body: { duplicate: false } });
    expect((await json(await daemon.api("/api/hooks/nope", { method: "POST", body: "{}" }))).status).toBe(404);
  });

  it("the heartbeat wakes the model only with something to look at, sends nothing for NOTHING_TO_REPORT, and its cost is in /api/usage", async () => {
    const firings = await waitFor(async () => {
      const f = (await json(await daemon.api("/api/schedules/heartbeat/firings"))).body.firings as any[];
      return f.some((x) => x.status === "silent") ? f : undefined;
    }, "a silent heartbeat", 15_000);
    expect(firings.every((f) => f.status !== "ok")).toBe(true);
    const usage = (await json(await daemon.api("/api/usage"))).body;
    expect(usage.heartbeat.total.promptTokens).toBeGreaterThanOrEqual(100);
    expect(usage.heartbeat.days).toHaveLength(1);
    writeFileSync(join(agent.dir, "HEARTBEAT.md"), "# Heartbeat\n");
    const skipped = await waitFor(async () => {
      const f = (await json(await daemon.api("/api/schedules/heartbeat/firings?limit=3"))).body.firings as any[];
      return f[0]?.status === "skipped" ? f[0] : undefined;
    }, "a skipped heartbeat (no model call)", 10_000);
    expect(skipped.runId).toBeNull();
    expect(botTexts(400)).toEqual([]);
  });

  it("a job due while the daemon was stopped fires once at start", async () => {
    const created = await json(await daemon.api("/api/schedules", { method: "POST", body: JSON.stringify({ name: "late", at: "in 2 seconds", prompt: "LATE-JOB", deliverTo: { platform: "telegram", chatId: "500" } }) }));
    expect(created.status).toBe(201);
    expect(await daemon.stop()).toBe(0);
    await sleep(3000);
    daemon = await startDaemon(agent.dir);
    await waitFor(() => botTexts(500).length > 0, "the late job's message in chat 500", 20_000);
    await sleep(1000);
    expect(botTexts(500)).toEqual(["The late job ran."]);
    const firings = (await json(await daemon.api(`/api/schedules/${created.body.id}/firings`))).body.firings;
    expect(firings).toMatchObject([{ trigger: "catch_up", status: "ok" }]);
  });

  it("a crash (kill -9) in the middle of a firing's run resumes that run at start: one firing, one message", async () => {
    const created = await json(await daemon.api("/api/schedules", { method: "POST", body: JSON.stringify({ name: "crash", at: "in 1 second", prompt: "CRASH-JOB", deliverTo: { platform: "telegram", chatId: "600" } }) }));
    expect(created.status).toBe(201);
    // the model received the job's prompt and is still thinking (its first answer is delayed a minute)
    await waitFor(() => llm.requests.some((r) => lastUser(r).includes("CRASH-JOB")), "the job's model call", 15_000);
    await daemon.kill();
    daemon = await startDaemon(agent.dir);
    await waitFor(() => botTexts(600).length > 0, "the crash job's message in chat 600", 20_000);
    await sleep(1000);
    expect(botTexts(600)).toHaveLength(1);
    expect(botTexts(600)[0]).toMatch(/^The crash job ran/);
    const firings = (await json(await daemon.api(`/api/schedules/${created.body.id}/firings`))).body.firings;
    expect(firings).toMatchObject([{ trigger: "due", status: "ok", attempts: 1 }]);
  });
});
