import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeLlm, type FakeLlm, type RecordedRequest } from "./support/fake-llm.js";
import { ROOT, cleanup, initAgent, startDaemon, tempDir, waitFor, type RunningDaemon } from "./support/daemon.js";
import { AgentdClient } from "../protocol/client.js";
import type { ChannelAddress } from "../protocol/chat.js";

let llm: FakeLlm;
let daemon: RunningDaemon;
let client: AgentdClient;
let n = 0;

const ann = (over: Partial<ChannelAddress> = {}): ChannelAddress => ({
  platform: "telegram", chatId: "42", userId: "42", userName: "ann", isGroup: false, mentioned: false, ...over,
});

/** Sends a message the way a bridge does (channel address, `<platform>:<chat>:<message id>` key) and waits for the end. */
async function say(text: string, channel: ChannelAddress) {
  const messageId = String(++n);
  const key = `${channel.platform}:${channel.chatId}:${messageId}`;
  const run = await client.send(text, { channel: { ...channel, messageId }, idempotencyKey: key });
  return { run, key, done: await run.result() };
}

const userTexts = (req: RecordedRequest | undefined) =>
  ((req?.body?.messages ?? []) as Array<{ role: string; content: unknown }>).filter((m) => m.role !== "system").map((m) => String(m.content));

beforeAll(async () => {
  llm = await startFakeLlm();
  const { dir } = await initAgent({
    llmUrl: llm.url,
    edit: (c) => {
      c.channels = { telegram: { allowlist: ["@Ann", "7"] }, discord: { policy: "open", groups: "mention" } };
      c.agent = { ...c.agent, titleSessions: false }; // only chat turns reach the model: requests are counted
    },
  });
  daemon = await startDaemon(dir);
  client = await AgentdClient.connect({ url: daemon.url, token: daemon.token, clientName: "channels-test" });
});

afterAll(async () => {
  client?.close();
  await daemon?.stop();
  await llm?.close();
  if (daemon) cleanup(join(daemon.dir, ".."));
});

describe("channel access", () => {
  it("answers an allowlisted sender with the model's reply, telling the model the source", async () => {
    const before = llm.requests.length;
    const { done } = await say("hello there", ann());
    expect(done).toMatchObject({ status: "ok", text: "You said: hello there" });
    expect(llm.requests.length).toBe(before + 1);
    expect(JSON.stringify(llm.requests.at(-1)!.body.messages[0])).toContain("[via telegram, chat 42, user @ann]");
  });

  it("refuses a sender who is not on the allowlist once, then ignores them; the model is never called", async () => {
    const before = llm.requests.length;
    const mallory = ann({ chatId: "666", userId: "666", userName: "mallory" });
    const first = await say("let me in", mallory);
    expect(first.done.status).toBe("ok");
    expect(first.done.text).toMatch(/add you \(@mallory, id 666\) to my telegram allowlist/);
    const second = await say("please?", mallory);
    expect(second.done).toMatchObject({ status: "ignored", text: "" });
    expect((await say("/help", mallory)).done.status).toBe("ignored"); // commands neither
    expect(llm.requests.length).toBe(before);
    // a resend of the first message gets the same refusal back (idempotency), still without the model
    const again = await client.send("let me in", { channel: mallory, idempotencyKey: first.key });
    expect(again.duplicate).toBe(true);
    expect((await again.result()).text).toBe(first.done.text);
    expect(llm.requests.length).toBe(before);
  });

  it("ignores group messages without a mention and answers with one", async () => {
    const before = llm.requests.length;
    const group = ann({ chatId: "-1001", isGroup: true });
    expect((await say("chatting among ourselves", group)).done).toMatchObject({ status: "ignored", text: "" });
    expect(llm.requests.length).toBe(before);
    const { done } = await say("@agent_bot what was that?", { ...group, mentioned: true });
    expect(done).toMatchObject({ status: "ok", text: "You said: @agent_bot what was that?" });
    // the group chatter before the mention is part of the context the model sees
    expect(userTexts(llm.requests.at(-1))).toEqual(["chatting among ourselves", "@agent_bot what was that?"]);
  });

  it("lets anyone in under the open policy (another platform)", async () => {
    const { done } = await say("hi", { platform: "discord", chatId: "c1", userId: "u1", isGroup: false, mentioned: false });
    expect(done.text).toBe("You said: hi");
  });

  it("answers a message without a channel (token holder) whatever the channel policies say", async () => {
    const run = await client.send("plain client");
    expect((await run.result()).text).toBe("You said: plain client");
  });
});

describe("chat commands", () => {
  it("/new, /sessions, /switch 1: the chat goes back to its first session and the model sees its history", async () => {
    const chat = ann({ chatId: "7", userId: "7", userName: undefined });
    const first = await say("my favourite fruit is quince", chat);
    const created = await say("/new", chat);
    expect(created.done).toMatchObject({ status: "ok", model: "agentd", text: expect.stringContaining("new session (#2)") });
    const second = await say("a new topic", chat);
    expect(second.run.sessionId).not.toBe(first.run.sessionId);
    const list = (await say("/sessions", chat)).done.text;
    expect(list).toMatch(/^1\. my favourite fruit is quince · /m);
    expect(list).toMatch(/^2\. a new topic · .*\(current\)$/m);
    expect(list).not.toMatch(/^3\./m);
    expect((await say("/switch 1", chat)).done.text).toMatch(/^Switched to session 1: my favourite fruit is quince/);
    const back = await say("what is my favourite fruit?", chat);
    expect(back.run.sessionId).toBe(first.run.sessionId);
    // the older history reaches the model; the commands and their answers do not
    expect(userTexts(llm.requests.at(-1))).toEqual(["my favourite fruit is quince", "You said: my favourite fruit is quince", "what is my favourite fruit?"]);
  });

  it("/stop aborts a slow streaming reply within a second", async () => {
    const chat = ann({ chatId: "stop-chat" });
    llm.onRequest((req) => (JSON.stringify(req.body.messages).includes("write a long essay") ? { text: "word ".repeat(400), chunkSize: 5, chunkDelayMs: 20 } : undefined));
    try {
      const slow = await client.send("write a long essay", { channel: { ...chat, messageId: "s1" }, idempotencyKey: "telegram:stop-chat:s1" });
      const events = slow.events[Symbol.asyncIterator]();
      while ((await events.next()).value?.event !== "run.delta"); // streaming has begun (the iterator stays open)
      const t0 = Date.now();
      const stop = await say("/stop", chat);
      expect(stop.done.text).toBe("Stopped.");
      const done = await slow.result();
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(done.status).toBe("aborted");
      expect(done.text.length).toBeLessThan("word ".repeat(400).length);
      expect((await say("/stop", chat)).done.text).toBe("Nothing to stop.");
    } finally {
      llm.onRequest(undefined);
    }
  });

  it("/model shows the model and refuses to switch when not allowed; /help lists the commands", async () => {
    const chat = ann({ chatId: "model-chat" });
    expect((await say("/model", chat)).done.text).toMatch(/^Model: main \(/);
    expect((await say("/model other", chat)).done.text).toMatch(/not enabled for telegram chats/);
    expect((await say("/help@agent_bot", chat)).done.text).toContain("/switch N");
  });

  it("handles commands in groups only when the bot is mentioned", async () => {
    const group = ann({ chatId: "-2002", isGroup: true });
    expect((await say("/sessions", group)).done.status).toBe("ignored");
    expect((await say("/sessions@agent_bot", { ...group, mentioned: true })).done.text).toMatch(/^Sessions of this chat:/);
  });
});

describe("bridges", () => {
  /**
   * A copy of the built package whose telegram bridge is `bridgeSource`: the bundle copied (the CLI finds bridges
   * beside its real file, so a symlinked CLI would find the real ones), the rest linked.
   */
  function fakeInstall(bridgeSource: string): { cli: string; root: string } {
    const root = tempDir("agentd-fake-install-");
    for (const f of ["package.json", "node_modules", "drizzle", "agent-template"]) symlinkSync(join(ROOT, f), join(root, f));
    cpSync(join(ROOT, "dist", "bundle"), join(root, "dist", "bundle"), { recursive: true });
    writeFileSync(join(root, "dist", "bundle", "bridges", "telegram", "main.js"), bridgeSource);
    return { cli: join(root, "dist", "bundle", "src", "cli", "main.js"), root };
  }

  const RECORDING_BRIDGE = `
import { appendFileSync, existsSync, writeFileSync } from "node:fs";
export async function runBridge(opts) {
  const log = process.env.FAKE_BRIDGE_LOG;
  appendFileSync(log, JSON.stringify({ pid: process.pid, opts }) + "\\n");
  process.stdout.write(JSON.stringify({ level: 30, msg: "fake telegram bridge up" }) + "\\n");
  if (process.env.FAKE_BRIDGE_CRASH_ONCE && !existsSync(log + ".crashed")) {
    writeFileSync(log + ".crashed", "");
    process.exit(1);
  }
  setInterval(() => {}, 1000);
}
`;

  it("agentd bridge runs the platform's bridge with the agent's config, and exits when its supervisor's pipe closes", async () => {
    const { cli, root } = fakeInstall(RECORDING_BRIDGE);
    const log = join(root, "calls.jsonl");
    const child = spawn(process.execPath, [cli, "bridge", "telegram", daemon.dir], {
      cwd: ROOT, env: { ...process.env, FAKE_BRIDGE_LOG: log, AGENTD_BRIDGE_SUPERVISED: "1" }, stdio: ["pipe", "pipe", "pipe"],
    });
    const exit = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    try {
      const line = await waitFor(() => (existsSync(log) ? readFileSync(log, "utf8").trim() : ""), "the fake bridge to start");
      const { opts } = JSON.parse(line) as { opts: { agentDir: string; config: { allowlist: string[] } } };
      expect(opts.agentDir).toBe(daemon.dir);
      expect(opts.config.allowlist).toEqual(["@Ann", "7"]);
      child.stdin!.end();
      const t0 = Date.now();
      expect(await exit).toBe(0);
      expect(Date.now() - t0).toBeLessThan(1000);
    } finally {
      child.kill("SIGKILL");
      rmSync(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    }
  });

  it("agentd start supervises enabled bridges: logs tagged, restarted after a crash, stopped with the daemon", async () => {
    const { cli, root } = fakeInstall(RECORDING_BRIDGE);
    const log = join(root, "calls.jsonl");
    const { dir } = await initAgent({ llmUrl: llm.url, edit: (c) => (c.channels = { telegram: { enabled: true, botToken: "123:secret-bot-token" } }) });
    const child: ChildProcess = spawn(process.execPath, [cli, "start", dir], {
      cwd: ROOT, env: { ...process.env, AGENTD_TOKEN: "", FAKE_BRIDGE_LOG: log, FAKE_BRIDGE_CRASH_ONCE: "1" }, stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (out += d));
    const exit = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    try {
      const pids = () => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { pid: number }).pid) : []);
      await waitFor(() => pids().length >= 2, "the bridge to be restarted after its crash", 10_000);
      const started = out.split("\n").filter((l) => l.includes("fake telegram bridge up")).map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(started[0]).toMatchObject({ component: "bridge", platform: "telegram", level: 30 });
      expect(out).toMatch(/telegram bridge exited with code 1; restarting in 1 s/);
      expect(out).not.toContain("secret-bot-token");
      const [, pid] = pids();
      child.kill("SIGTERM");
      expect(await exit).toBe(0);
      expect(() => process.kill(pid!, 0)).toThrow();
      await sleep(50);
      expect(pids()).toHaveLength(2);
    } finally {
      child.kill("SIGKILL");
      rmSync(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
      cleanup(join(dir, ".."));
    }
  });
});
