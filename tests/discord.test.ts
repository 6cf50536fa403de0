/**
 * The Discord bridge end to end: a real daemon (built CLI), the scripted model, the bridge in-process through
 * `runBridge` with discord.js pointed at a local fake gateway + REST (tests/support/fake-discord.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { startFakeLlm, type FakeLlm, type RecordedRequest } from "./support/fake-llm.js";
import { startFakeDiscord, type FakeDiscord } from "./support/fake-discord.js";
import { initAgent, startDaemon, cleanup, waitFor, type RunningDaemon } from "./support/daemon.js";
import { runBridge } from "../bridges/discord/main.js";
import { formatDiscordChunks } from "../bridges/common/format-discord.js";

function lastUser(req: RecordedRequest): string {
  const msgs = (req.body?.messages ?? []) as Array<{ role: string; content: unknown }>;
  const m = [...msgs].reverse().find((x) => x.role === "user");
  return typeof m?.content === "string" ? m.content : JSON.stringify(m?.content ?? "");
}

/** A reply streamed slowly, longer than one Discord message (2000 characters). */
const STREAMED = `**Live** ${"word ".repeat(600)}`.trim();

let llm: FakeLlm;
let fake: FakeDiscord;
let agent: { dir: string };
let daemon: RunningDaemon;
let stopBridge: AbortController;
let bridgeDone: Promise<void>;
const logs: string[] = [];

beforeAll(async () => {
  llm = await startFakeLlm();
  llm.onRequest((req) => {
    if (lastUser(req).includes("long answer please")) return { text: `${"word ".repeat(900)}\n\n${"more ".repeat(100)}`, chunkSize: 1000 };
    if (lastUser(req).includes("stream a long answer")) return { text: STREAMED, chunkSize: 75, chunkDelayMs: 120 };
    return undefined;
  });
  fake = await startFakeDiscord();
  agent = await initAgent({
    llmUrl: llm.url,
    edit: (cfg) => {
      cfg.channels = { discord: { enabled: false, policy: "allowlist", allowlist: ["ann", "1002"] } };
    },
  });
  daemon = await startDaemon(agent.dir);
  stopBridge = new AbortController();
  const logger = pino({ level: "debug" }, new Writable({ write(c, _e, cb) { logs.push(String(c)); cb(); } }));
  bridgeDone = runBridge({ agentDir: agent.dir, config: { botToken: "fake-discord-token", apiBase: fake.apiUrl }, logger, signal: stopBridge.signal });
  bridgeDone.catch(() => {});
});

afterAll(async () => {
  stopBridge?.abort();
  await bridgeDone?.catch(() => {});
  await daemon?.stop();
  await fake?.close();
  await llm?.close();
  if (agent) cleanup(agent.dir);
});

/** Waits until the bridge is on the gateway (discord.js identified). */
async function connected(): Promise<void> {
  for (let i = 0; i < 200 && !logs.some((l) => l.includes("Discord bridge connected")); i++) await sleep(20);
}

describe("Discord bridge with a running agent", () => {
  it("answers a mention in a guild channel as a reply, without pinging anyone, with typing shown", async () => {
    await connected();
    const id = fake.pushMessage({ content: "hello bot, @everyone look", mentionBot: true });
    const [reply] = await fake.waitForSent(1);
    expect(reply).toMatchObject({ channelId: fake.channelId, messageReference: id });
    expect(reply!.content).toContain("hello bot");
    expect(reply!.content).not.toContain(`<@${fake.botUser.id}>`);
    expect(reply!.content).not.toMatch(/@everyone/); // neutralised with a zero-width space
    expect(reply!.body.allowed_mentions).toMatchObject({ parse: [] });
    expect(fake.typing).toContain(fake.channelId);
  });

  it("answers a DM", async () => {
    const before = fake.sent.length;
    const id = fake.pushMessage({ content: "private question", guild: false, authorId: "1002", authorName: "bob" });
    const sent = await fake.waitForSent(before + 1);
    expect(sent.at(-1)).toMatchObject({ channelId: fake.dmChannelId, messageReference: id });
    expect(sent.at(-1)!.content).toContain("private question");
  });

  it("does not answer a guild message without a mention, nor its own echoed messages", async () => {
    const before = fake.sent.length;
    fake.pushMessage({ content: "just talking to people here" });
    fake.pushMessage({ content: "now a question for the bot", mentionBot: true });
    const sent = await fake.waitForSent(before + 1);
    expect(sent.at(-1)!.content).toContain("now a question for the bot");
    await sleep(400);
    expect(fake.sent).toHaveLength(before + 1); // the bot's own echoed reply started nothing
    expect(fake.sent.map((m) => m.content).join(" ")).not.toContain("just talking to people here");
    expect(llm.requests.filter((r) => lastUser(r).includes("just talking to people here"))).toHaveLength(0);
  });

  it("splits a long reply into ordered messages of at most 2000 characters, the first one a reply", async () => {
    const before = fake.sent.length;
    const id = fake.pushMessage({ content: "long answer please", mentionBot: true });
    await fake.waitForSent(before + 3);
    await sleep(200);
    const parts = fake.sent.slice(before);
    expect(parts).toHaveLength(3);
    for (const p of parts) expect(p.content.length).toBeLessThanOrEqual(2000);
    expect(parts[0]!.messageReference).toBe(id);
    expect(parts[1]!.messageReference).toBeUndefined();
    expect(parts.map((p) => p.content).join(" ").replace(/\s+/g, " ").trim()).toBe(`${"word ".repeat(900)}${"more ".repeat(100)}`.trim());
  });

  it("shows a long streaming answer as one message edited as it grows, then the reply's chunks", async () => {
    const before = fake.sent.length;
    const id = fake.pushMessage({ content: "stream a long answer", mentionBot: true });
    const [draft] = (await fake.waitForSent(before + 1, 15_000)).slice(before);
    expect(draft!.messageReference).toBe(id);
    expect(draft!.content).toMatch(/^\*\*Live\*\* word.* …$/); // the text so far, marked unfinished
    const chunks = formatDiscordChunks(STREAMED);
    expect(chunks).toHaveLength(2);
    await fake.waitForSent(before + 2, 20_000);
    await waitFor(() => (draft!.content === chunks[0] ? true : undefined), "the draft edited into the first chunk", 10_000);
    await sleep(500);
    const mine = fake.sent.slice(before);
    expect(mine.map((m) => m.content)).toEqual(chunks); // the draft became chunk 1, chunk 2 is a new message
    expect(mine[1]!.messageReference).toBeUndefined();
    expect(mine.every((m) => !m.deleted)).toBe(true);
    // it grew while streaming: edits of the draft, each longer than the one before (all marked unfinished)
    const drafts = draft!.edits;
    expect(drafts.length).toBeGreaterThanOrEqual(2);
    for (const d of drafts) expect(d).toMatch(/ …$/);
    for (let i = 1; i < drafts.length; i++) expect(drafts[i]!.length).toBeGreaterThan(drafts[i - 1]!.length);
    expect(draft!.body.allowed_mentions).toMatchObject({ parse: [] });
  });

  it("refuses a user who is not on the allowlist, without calling the model", async () => {
    const before = fake.sent.length;
    fake.pushMessage({ content: "secret stuff", guild: false, authorId: "6666", authorName: "mallory" });
    const sent = await fake.waitForSent(before + 1);
    expect(sent.at(-1)!.content).toMatch(/only talk with people my owner has allowed/);
    expect(llm.requests.filter((r) => lastUser(r).includes("secret stuff"))).toHaveLength(0);
  });
});

describe("Discord bridge setup errors", () => {
  it("stops with a clear message when the Message Content intent is not enabled", async () => {
    const other = await startFakeDiscord();
    const ac = new AbortController();
    const quiet = pino({ level: "silent" });
    const done = runBridge({ url: "http://127.0.0.1:1", token: "x", config: { botToken: "t0ken-for-intents", apiBase: other.apiUrl }, logger: quiet, signal: ac.signal });
    try {
      await sleep(300);
      other.dropConnections(4014);
      await expect(done).rejects.toThrow(/Message Content intent/);
    } finally {
      ac.abort();
      await done.catch(() => {});
      await other.close();
    }
  });
});
