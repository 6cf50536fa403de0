/**
 * The Slack bridge end to end: `agentd start` (the built CLI) supervising the real bridge process, the scripted
 * model, and a local fake of the Slack Web API + Socket Mode (tests/support/fake-slack.ts) that records every call
 * and envelope and checks them against Slack's documented shapes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { startFakeLlm, type FakeLlm, type RecordedRequest } from "./support/fake-llm.js";
import { startFakeSlack, type FakeSlack } from "./support/fake-slack.js";
import { initAgent, startDaemon, cleanup, waitFor, CLI, type RunningDaemon } from "./support/daemon.js";

function lastUser(req: RecordedRequest): string {
  const msgs = (req.body?.messages ?? []) as Array<{ role: string; content: unknown }>;
  const m = [...msgs].reverse().find((x) => x.role === "user");
  return typeof m?.content === "string" ? m.content : JSON.stringify(m?.content ?? "");
}

const LONG = Array.from({ length: 1000 }, (_, i) => `Line ${i} of the long answer, plain words.`.padEnd(49, ".")).join("\n");

let llm: FakeLlm;
let slack: FakeSlack;
let agent: { dir: string };
let daemon: RunningDaemon;
const deliveryOf = async (id: string) =>
  ((await (await daemon.api(`/api/deliveries/${id}`)).json()) as { delivery: { state: string; attempts: number; lastError: string | null; platformMessageIds: string[] } }).delivery;
const asked = (text: string) => llm.requests.filter((r) => r.body?.stream && lastUser(r).includes(text));

beforeAll(async () => {
  llm = await startFakeLlm();
  llm.onRequest((req) => (lastUser(req).includes("long answer please") ? { text: LONG, chunkSize: 5000 } : undefined));
  slack = await startFakeSlack();
  agent = await initAgent({
    llmUrl: llm.url,
    edit: (cfg) => {
      cfg.channels = {
        slack: {
          enabled: true, policy: "allowlist", allowlist: ["U0ANN", "U0BOB"], teamIds: [slack.teamId],
          botToken: slack.botToken, appToken: slack.appToken, apiUrl: slack.apiUrl,
        },
      };
    },
  });
  daemon = await startDaemon(agent.dir);
  await slack.until(() => slack.connections().open > 0, "the supervised bridge to open Socket Mode", 20_000);
}, 40_000);

afterAll(async () => {
  await daemon?.stop();
  await slack?.close();
  await llm?.close();
  if (agent) cleanup(agent.dir);
});

describe("Slack bridge supervised by agentd start", () => {
  it("answers a DM at the top level, with the working reaction while the run works", async () => {
    const ts = slack.pushMessage({ text: "hello from a DM", user: "U0ANN" });
    await slack.until(() => slack.posts.some((p) => p.text.includes("hello from a DM")), "the DM reply");
    const reply = slack.posts.find((p) => p.text.includes("hello from a DM"))!;
    expect(reply).toMatchObject({ channel: slack.dmOf("U0ANN"), text: "You said: hello from a DM" });
    expect(reply.threadTs).toBeUndefined();
    expect(reply.args).toMatchObject({ unfurl_links: "false", unfurl_media: "false" });
    await slack.until(() => slack.calls.some((c) => c.method === "reactions.remove" && c.args.timestamp === ts), "the reaction to be removed");
    expect(slack.calls.find((c) => c.method === "reactions.add")).toMatchObject({ args: { channel: slack.dmOf("U0ANN"), timestamp: ts, name: "eyes" } });
  });

  it("ignores a channel message without a mention, answers a mention in its thread and follow-ups in that thread", async () => {
    slack.pushMessage({ text: "just chatter among people", user: "U0ANN", dm: false });
    const mention = slack.pushMessage({ text: "what is the plan?", user: "U0ANN", dm: false, mention: true });
    await slack.until(() => slack.posts.some((p) => p.text.includes("what is the plan?")), "the mention's reply");
    expect(slack.posts.find((p) => p.text.includes("what is the plan?"))).toMatchObject({ channel: slack.channelId, threadTs: mention });
    expect(asked("what is the plan?")).toHaveLength(1); // the message and app_mention events are one message

    slack.pushMessage({ text: "and the follow-up", user: "U0BOB", dm: false, threadTs: mention });
    await slack.until(() => slack.posts.some((p) => p.text.includes("and the follow-up")), "the thread follow-up's reply");
    expect(slack.posts.find((p) => p.text.includes("and the follow-up"))).toMatchObject({ channel: slack.channelId, threadTs: mention });
    await sleep(500);
    expect(slack.posts.some((p) => p.text.includes("chatter"))).toBe(false);
    expect(asked("chatter")).toHaveLength(0);
    // the bot's own messages, echoed back as events, started nothing
    expect(llm.requests.filter((r) => r.body?.stream && lastUser(r).startsWith("You said"))).toHaveLength(0);
  });

  it("starts a new session with !new, in a thread of its own", async () => {
    const root = slack.pushMessage({ text: "remember the word tangerine", user: "U0ANN", dm: false, mention: true });
    await slack.until(() => slack.posts.some((p) => p.text.includes("tangerine")), "the first reply");
    slack.pushMessage({ text: "!new", mention: true, user: "U0ANN", dm: false, threadTs: root });
    await slack.until(() => slack.posts.some((p) => p.text.startsWith("Started a new session")), "the !new reply");
    expect(slack.posts.find((p) => p.text.startsWith("Started a new session"))).toMatchObject({
      threadTs: root, text: "Started a new session (#2). Your earlier ones are in !sessions.",
    });
    slack.pushMessage({ text: "what was the word?", user: "U0ANN", dm: false, threadTs: root });
    await slack.until(() => asked("what was the word?").length === 1, "the model to be asked");
    const history = JSON.stringify(asked("what was the word?")[0]!.body?.messages);
    expect(history).not.toContain("tangerine");
  });

  it("takes the optional /agentd slash command in a DM, and says what to do in a channel", async () => {
    slack.pushSlashCommand({ text: "sessions", user: "U0BOB" });
    await slack.until(() => slack.posts.some((p) => p.channel === slack.dmOf("U0BOB") && p.text.startsWith("Sessions of this chat")), "the command's answer");
    slack.pushSlashCommand({ text: "new", user: "U0BOB", channel: slack.channelId });
    await slack.until(() => slack.envelopes.some((e) => e.type === "slash_commands" && e.ackPayload !== undefined), "the answer to the user");
    expect(slack.envelopes.find((e) => e.ackPayload)!.ackPayload!.text).toMatch(/write !new, !sessions or !help in the thread/);
  });

  it("refuses a user who is not on the allowlist once, and ignores other workspaces", async () => {
    slack.pushMessage({ text: "let me in", user: "U0EVE" });
    await slack.until(() => slack.posts.some((p) => p.channel === slack.dmOf("U0EVE")), "the refusal");
    slack.pushMessage({ text: "let me in please", user: "U0EVE" });
    slack.pushMessage({ text: "hello from elsewhere", user: "U0ANN", team: "T0OTHER" });
    await sleep(800);
    const refusals = slack.posts.filter((p) => p.channel === slack.dmOf("U0EVE"));
    expect(refusals).toHaveLength(1);
    expect(refusals[0]!.text).toMatch(/only talk with people my owner has allowed.*U0EVE/);
    expect(asked("let me in")).toHaveLength(0);
    expect(asked("hello from elsewhere")).toHaveLength(0);
  });

  it("sends a 50,000-character answer split under Slack's limit, in order and whole", async () => {
    expect(LONG.length).toBeGreaterThanOrEqual(49_000);
    slack.pushMessage({ text: "long answer please", user: "U0BOB" });
    await slack.until(() => slack.posts.some((p) => p.text.includes("Line 999 of")), "the last part", 20_000);
    const parts = slack.posts.filter((p) => p.channel === slack.dmOf("U0BOB") && p.text.startsWith("Line "));
    expect(parts.length).toBeGreaterThanOrEqual(13);
    for (const p of parts) expect(p.text.length).toBeLessThanOrEqual(4000);
    expect(parts.map((p) => p.text).join("\n")).toBe(LONG);
  });

  it("downloads a shared file with the bot token and hands it to the agent", async () => {
    const file = slack.addFile("notes.txt", "text/plain", new TextEncoder().encode("file body"));
    slack.pushMessage({ text: "read this file", user: "U0ANN", files: [file] });
    await slack.until(() => slack.posts.some((p) => p.text.includes("read this file")), "the reply");
    const uploads = join(agent.dir, "uploads");
    const stored = existsSync(uploads) ? readdirSync(uploads).filter((f) => f.endsWith(".txt")) : [];
    expect(stored).toHaveLength(1);
    expect(readFileSync(join(uploads, stored[0]!), "utf8")).toBe("file body");
    expect(slack.calls.some((c) => c.method.startsWith("files."))).toBe(false); // fetched from url_private_download
  });

  it("posts a message from the outbox (a script, a schedule) to a channel in mrkdwn, and reports Slack's refusal", async () => {
    const res = await daemon.api("/api/messages", { method: "POST", body: JSON.stringify({ address: { platform: "slack", chatId: slack.channelId }, text: "**Stand-up** in 5 minutes: [notes](https://example.com/n?a=1&b=2)" }) });
    expect(res.status).toBe(202);
    const { delivery } = (await res.json()) as { delivery: { id: string } };
    await slack.until(() => slack.posts.some((p) => p.text.startsWith("*Stand-up*")), "the scheduled message");
    expect(slack.posts.find((p) => p.text.startsWith("*Stand-up*"))).toMatchObject({ channel: slack.channelId, text: "*Stand-up* in 5 minutes: <https://example.com/n?a=1&amp;b=2|notes>" });
    const sent = slack.posts.find((p) => p.text.startsWith("*Stand-up*"))!;
    const delivered = await waitFor(async () => {
      const d = await deliveryOf(delivery.id);
      return d.state === "delivered" ? d : undefined;
    }, "the delivery to be acknowledged");
    expect(delivered.platformMessageIds).toEqual([sent.ts]);

    const bad = await daemon.api("/api/messages", { method: "POST", body: JSON.stringify({ address: { platform: "slack", chatId: "C0NOWHERE" }, text: "into the void" }) });
    const failedId = ((await bad.json()) as { delivery: { id: string } }).delivery.id;
    const failed = await waitFor(async () => {
      const d = await deliveryOf(failedId);
      return d.state === "failed" ? d : undefined;
    }, "Slack's refusal to fail the delivery");
    expect(failed).toMatchObject({ attempts: 1 }); // channel_not_found is for good: no retries
    expect(failed.lastError).toContain("channel_not_found");
  });

  it("kept to Slack's documented shapes: every envelope acknowledged within 3 s, once, and no bad arguments", async () => {
    slack.pushEvent({ type: "member_joined_channel", user: "U0BOB", channel: slack.channelId, channel_type: "C", team: slack.teamId, event_ts: "1700000000.000900" });
    await slack.until(() => slack.envelopes.every((e) => e.ackMs !== undefined), "every envelope to be acknowledged");
    expect(slack.violations).toEqual([]);
    expect(slack.envelopes.length).toBeGreaterThan(10);
    for (const e of slack.envelopes) {
      expect(e.ackMs).toBeDefined();
      expect(e.ackMs!).toBeLessThan(3000);
      expect(e.retries).toBe(0);
    }
    expect(slack.calls.filter((c) => c.method === "apps.connections.open").every((c) => c.token === slack.appToken)).toBe(true);
    expect(slack.calls.filter((c) => c.method !== "apps.connections.open").every((c) => c.token === slack.botToken)).toBe(true);
    expect(daemon.output()).not.toContain(slack.botToken);
    expect(daemon.output()).not.toContain(slack.appToken);
  });
});

describe("Slack connection refresh", () => {
  it("keeps answering across Slack's regular reconnect, a message sent meanwhile included, once", async () => {
    const before = slack.connections().opened;
    slack.refresh();
    await slack.until(() => slack.connections().open === 0, "the old connection to close");
    slack.pushMessage({ text: "during the refresh", user: "U0ANN" });
    await slack.until(() => slack.posts.some((p) => p.text.includes("during the refresh")), "the reply", 20_000);
    expect(slack.connections().opened).toBe(before + 1);
    await sleep(300);
    expect(slack.posts.filter((p) => p.text.includes("during the refresh"))).toHaveLength(1);
    expect(asked("during the refresh")).toHaveLength(1);
  });
});

describe("agentd bridge slack DIR", () => {
  it("stops with exit code 78 and a clear line when Slack refuses the app token", async () => {
    const other = await initAgent({
      llmUrl: llm.url,
      edit: (cfg) => { cfg.channels = { slack: { botToken: slack.botToken, appToken: "xapp-1-wrong", apiUrl: slack.apiUrl } }; },
    });
    try {
      const child = spawn(process.execPath, [CLI, "bridge", "slack", other.dir], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      child.stdout.on("data", (c) => (out += c));
      child.stderr.on("data", (c) => (out += c));
      const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
      expect(code).toBe(78);
      expect(out).toMatch(/Slack refused channels\.slack\.appToken \(invalid_auth\)/);
      expect(out).not.toContain("xapp-1-wrong");
    } finally {
      cleanup(other.dir);
    }
  });
});

describe("Slack across a daemon crash", () => {
  it("kill -9 mid-answer: exactly one answer after the restart, also to messages it never stored or got while down; an old thread still counts as the bot's", async () => {
    const llm2 = await startFakeLlm();
    const slack2 = await startFakeSlack();
    let stalled = false;
    llm2.onRequest((req) => {
      if (!lastUser(req).includes("mid-answer words") || stalled) return undefined;
      stalled = true;
      return { text: "You said: mid-answer words, and more", chunkSize: 10, stallAfterChunks: 1 };
    });
    const a = await initAgent({
      llmUrl: llm2.url,
      edit: (cfg) => { cfg.channels = { slack: { enabled: true, policy: "open", botToken: slack2.botToken, appToken: slack2.appToken, apiUrl: slack2.apiUrl } }; },
    });
    let d = await startDaemon(a.dir);
    try {
      await slack2.until(() => slack2.connections().open > 0, "the bridge to connect", 20_000);
      const root = slack2.pushMessage({ text: "open a thread", dm: false, mention: true });
      await slack2.until(() => slack2.posts.some((p) => p.threadTs === root), "the thread's first reply");

      slack2.pushMessage({ text: "mid-answer words" });
      await slack2.until(() => stalled, "the model to start answering");
      // a message the daemon never gets to store: the bridge must not acknowledge it to Slack
      process.kill(d.child.pid!, "SIGSTOP");
      slack2.pushMessage({ text: "frozen words" });
      await slack2.until(() => slack2.envelopes.some((e) => (e.event as { text?: string }).text === "frozen words"), "the envelope to go out");
      await sleep(300);
      await d.kill(); // the supervised bridge goes with it (its stdin closes)
      await slack2.until(() => slack2.connections().open === 0, "the bridge to go");
      slack2.pushMessage({ text: "gap words" }); // Slack keeps it until a bridge acknowledges it

      d = await startDaemon(a.dir);
      await slack2.until(() => slack2.posts.some((p) => p.text.includes("mid-answer words")), "the answer after the restart", 30_000);
      // the restarted bridge knows nothing of the thread: it asks Slack whether it is part of it
      slack2.pushMessage({ text: "after the restart", dm: false, threadTs: root });
      await slack2.until(() => slack2.posts.some((p) => p.text.includes("after the restart")), "the thread follow-up's reply", 20_000);
      expect(slack2.calls.some((c) => c.method === "conversations.replies" && c.args.ts === root)).toBe(true);
      await slack2.until(() => slack2.posts.some((p) => p.text.includes("gap words")), "the answer to the message sent while it was down", 20_000);
      await slack2.until(() => slack2.posts.some((p) => p.text.includes("frozen words")), "the answer to the message the daemon never stored", 30_000);
      await sleep(1000); // a duplicate would arrive now
      expect(slack2.posts.filter((p) => p.text.includes("frozen words"))).toHaveLength(1);
      expect(slack2.posts.filter((p) => p.text.includes("mid-answer words"))).toHaveLength(1);
      expect(slack2.posts.filter((p) => p.text.includes("gap words"))).toHaveLength(1);
      expect(llm2.requests.filter((r) => r.body?.stream && lastUser(r).includes("gap words"))).toHaveLength(1);
      expect(slack2.posts.find((p) => p.text.includes("mid-answer words"))).toMatchObject({ channel: slack2.dmOf("U0ANN") });
      expect(slack2.violations).toEqual([]);
    } finally {
      await d.stop();
      await slack2.close();
      await llm2.close();
      cleanup(a.dir);
    }
  }, 90_000);
});
