/**
 * The Telegram bridge end to end: a real daemon (built CLI), the scripted model, the bridge in-process through
 * `runBridge`, and `telegram-test-api` standing in for the Bot API (quirks: /work/shared/TESTING.md).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "node:net";
import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { TelegramServer } from "telegram-test-api/lib/telegramServer.js";
import type { Transformer } from "grammy";
import { freePort, idlePause } from "./support/telegram-shim.js";
import { startFakeLlm, type FakeLlm, type RecordedRequest, type ScriptedTurn } from "./support/fake-llm.js";
import { spawn } from "node:child_process";
import { initAgent, startDaemon, waitFor, cleanup, CLI, type RunningDaemon } from "./support/daemon.js";
import { runBridge } from "../bridges/telegram/main.js";
import { telegramTextLength } from "../bridges/common/format-telegram.js";

const TOKEN = "123456:TEST-telegram-token";
const BOT_USERNAME = "TestNameBot"; // what telegram-test-api's getMe answers

/** Text of the last user message of a model request (the daemon may add source context around it). */
function lastUser(req: RecordedRequest): string {
  const msgs = (req.body?.messages ?? []) as Array<{ role: string; content: unknown }>;
  const m = [...msgs].reverse().find((x) => x.role === "user");
  return typeof m?.content === "string" ? m.content : JSON.stringify(m?.content ?? "");
}

interface BridgeHandle {
  logs: string[];
  methods: string[];
  stop(): Promise<void>;
  done: Promise<void>;
}

/** Starts the bridge in-process against the stand-in; `extra` transformers run before the idle pause. */
function startBridge(agentDir: string, apiRoot: string, extra: Transformer[] = [], downloadFile?: (ref: { fileId: string }) => Promise<Uint8Array<ArrayBuffer>>): BridgeHandle {
  const logs: string[] = [];
  const methods: string[] = [];
  const logger = pino({ level: "debug" }, new Writable({ write(c, _e, cb) { logs.push(String(c)); cb(); } }));
  const record: Transformer = (prev, method, payload, signal) => {
    methods.push(method);
    return prev(method, payload, signal);
  };
  const ac = new AbortController();
  const done = runBridge({
    agentDir, config: { botToken: TOKEN, apiRoot, enabled: false }, logger, signal: ac.signal,
    apiTransformers: [record, ...extra, idlePause], retry: { initialMs: 50, maxMs: 200 },
    ...(downloadFile ? { downloadFile } : {}),
  });
  return { logs, methods, done, stop: async () => { ac.abort(); await done; } };
}

let llm: FakeLlm;
let tg: TelegramServer;
let apiRoot: string;
const scripts = new Map<string, ScriptedTurn>();

/** A Telegram user of the stand-in, chatting in a private chat (or a group with `type`). */
function user(opts: { userId: number; userName: string; chatId?: number; type?: "private" | "group" | "supergroup" }) {
  const chatId = opts.chatId ?? opts.userId;
  const client = tg.getClient(TOKEN, { userId: opts.userId, userName: opts.userName, firstName: opts.userName, chatId, type: opts.type ?? "private" });
  return {
    chatId,
    /** Sends a message; resolves with its message id. */
    async say(text: string, extra: Record<string, unknown> = {}): Promise<number> {
      const before = tg.storage.userMessages.length;
      await client.sendMessage(client.makeMessage(text, extra) as never);
      return tg.storage.userMessages[before]!.messageId;
    },
    /** What the bot sent to this chat so far, in order. */
    replies: () => tg.storage.botMessages.filter((m) => String(m.message.chat_id) === String(chatId)).map((m) => m.message as Record<string, any>),
    async waitReplies(n: number, timeoutMs = 8_000) {
      return waitFor(() => (this.replies().length >= n ? this.replies() : undefined), `${n} bot messages in chat ${chatId}`, timeoutMs);
    },
  };
}

beforeAll(async () => {
  llm = await startFakeLlm();
  llm.onRequest((req) => {
    const text = lastUser(req);
    for (const [key, turn] of scripts) if (text.includes(key)) return turn;
    return undefined;
  });
  apiRoot = `http://127.0.0.1:${await freePort()}`;
  tg = new TelegramServer({ port: Number(new URL(apiRoot).port), host: "127.0.0.1", storeTimeout: 600 });
  await tg.start();
});

afterAll(async () => {
  await tg?.stop();
  await llm?.close();
});

describe("Telegram bridge with a running agent", () => {
  let agent: { dir: string };
  let daemon: RunningDaemon;
  let bridge: BridgeHandle;
  const files: string[] = [];

  beforeAll(async () => {
    agent = await initAgent({
      llmUrl: llm.url,
      edit: (cfg) => {
        cfg.channels = { telegram: { enabled: false, policy: "allowlist", allowlist: ["100", "bob", "300", "400", "@gil", "800", "810"] } };
      },
    });
    daemon = await startDaemon(agent.dir);
    // Telegram's own refusals, scripted: HTML it cannot parse, and a 429 rate limit once
    let limited = false;
    const refusals: Transformer = async (prev, method, payload, signal) => {
      const p = payload as { text?: string; parse_mode?: string };
      if (method === "sendMessage" && p.parse_mode === "HTML" && p.text?.includes("BROKEN-HTML")) {
        return { ok: false, error_code: 400, description: "Bad Request: can't parse entities: unsupported start tag" } as never;
      }
      if (method === "sendMessage" && p.text?.includes("RATE-LIMITED") && !limited) {
        limited = true;
        return { ok: false, error_code: 429, description: "Too Many Requests: retry after 1", parameters: { retry_after: 1 } } as never;
      }
      return prev(method, payload, signal);
    };
    bridge = startBridge(agent.dir, apiRoot, [refusals], async (ref) => {
      files.push(ref.fileId);
      return new Uint8Array(new TextEncoder().encode("fake-jpeg-bytes"));
    });
  });
  afterAll(async () => {
    await bridge?.stop();
    await daemon?.stop();
    cleanup(agent.dir);
  });

  it("answers a private message with the scripted reply in Telegram HTML, as a reply to it", async () => {
    scripts.set("hello there", { text: "Hello **Ann** — 1 < 2 & `x`" });
    const ann = user({ userId: 100, userName: "ann" });
    const id = await ann.say("hello there");
    const [reply] = await ann.waitReplies(1);
    expect(reply!.text).toBe("Hello <b>Ann</b> — 1 &lt; 2 &amp; <code>x</code>");
    expect(reply!.parse_mode).toBe("HTML");
    expect(reply!.reply_parameters).toMatchObject({ message_id: id });
    // the typing indicator was tried (the stand-in answers it with 500) and did not stop the reply
    expect(bridge.methods).toContain("sendChatAction");
    expect(bridge.methods).toContain("setMyCommands");
  });

  it("sends a 10,000-character reply as three ordered messages under 4096 characters each", async () => {
    const paragraphs = Array.from({ length: 100 }, (_, i) => `Paragraph ${String(i).padStart(3, "0")} ${"z".repeat(83)}.`);
    const long = `${paragraphs.join("\n\n")}!!`;
    expect(long.length).toBe(10_000);
    scripts.set("write a lot", { text: long, chunkSize: 500 });
    const bob = user({ userId: 200, userName: "bob" });
    const id = await bob.say("write a lot");
    await bob.waitReplies(3);
    await sleep(300);
    const replies = bob.replies();
    expect(replies).toHaveLength(3);
    for (const r of replies) expect(telegramTextLength(String(r.text))).toBeLessThanOrEqual(4096);
    expect(replies[0]!.reply_parameters).toMatchObject({ message_id: id });
    expect(replies.map((r) => String(r.text)).join("\n\n")).toBe(long);
  });

  it("replies inside the forum topic a message came from", async () => {
    const carl = user({ userId: 300, userName: "carl", chatId: -100300, type: "supergroup" });
    await carl.say(`@${BOT_USERNAME} topic question`, {
      message_thread_id: 7, is_topic_message: true,
      entities: [{ type: "mention", offset: 0, length: BOT_USERNAME.length + 1 }],
    });
    const [reply] = await carl.waitReplies(1);
    expect(reply!.message_thread_id).toBe(7);
    expect(String(reply!.text)).toContain("topic question");
    expect(String(reply!.text)).not.toContain(`@${BOT_USERNAME}`);
  });

  it("handles /new, /sessions and /switch 1 in the daemon", async () => {
    const gil = user({ userId: 700, userName: "gil" });
    await gil.say("remember apples");
    await gil.waitReplies(1);
    const cmd = (text: string) => gil.say(text, { entities: [{ type: "bot_command", offset: 0, length: text.split(" ")[0]!.length }] });
    await cmd("/new");
    const [, started] = await gil.waitReplies(2);
    expect(started!.text).toMatch(/new session/i);
    await gil.say("remember pears");
    await gil.waitReplies(3);
    await cmd("/sessions");
    const listing = String((await gil.waitReplies(4))[3]!.text);
    expect(listing).toMatch(/1\. .*apples/);
    expect(listing).toMatch(/2\. .*pears.*\(current\)/);
    await cmd("/switch 1");
    expect(String((await gil.waitReplies(5))[4]!.text)).toMatch(/Switched to session 1/);
    await gil.say("what fruit was it");
    await gil.waitReplies(6);
    const last = llm.requests.filter((r) => r.body?.stream && lastUser(r).includes("what fruit was it")).at(-1)!;
    const history = JSON.stringify(last.body.messages);
    expect(history).toContain("remember apples");
    expect(history).not.toContain("remember pears");
    const commandCalls = llm.requests.filter((r) => /"\/(new|sessions|switch)/.test(JSON.stringify(r.body?.messages?.at(-1) ?? "")));
    expect(commandCalls).toHaveLength(0);
  });

  it("refuses a user who is not on the allowlist once, then ignores them, and never calls the model", async () => {
    const mallory = user({ userId: 999, userName: "mallory" });
    await mallory.say("let me in");
    const [refusal] = await mallory.waitReplies(1);
    expect(refusal!.text).toMatch(/only talk with people my owner has allowed/);
    await mallory.say("let me in, please");
    await sleep(600);
    expect(mallory.replies()).toHaveLength(1);
    expect(llm.requests.filter((r) => lastUser(r).includes("let me in"))).toHaveLength(0);
  });

  it("answers in a group only when mentioned or replied to", async () => {
    const ann = user({ userId: 100, userName: "ann", chatId: -100100, type: "group" });
    await ann.say("just chatting among ourselves");
    await ann.say(`@${BOT_USERNAME} now you`, { entities: [{ type: "mention", offset: 0, length: BOT_USERNAME.length + 1 }] });
    const [first] = await ann.waitReplies(1);
    expect(String(first!.text)).toContain("now you");
    const botMessageId = tg.storage.botMessages.at(-1)!.messageId;
    await ann.say("and a reply to the bot", { reply_to_message: { message_id: botMessageId, from: { id: 666, is_bot: true, first_name: "Test" }, chat: { id: -100100, type: "group" }, date: 0 } });
    const replies = await ann.waitReplies(2);
    expect(String(replies[1]!.text)).toContain("and a reply to the bot");
    expect(ann.replies().map((r) => String(r.text)).join(" ")).not.toContain("just chatting");
  });

  it("uploads a photo to the agent and sends its caption", async () => {
    const ann = user({ userId: 100, userName: "ann" });
    const before = ann.replies().length;
    await ann.say("", { text: undefined, caption: "look at this", photo: [{ file_id: "small", file_unique_id: "s", width: 90, height: 90 }, { file_id: "big", file_unique_id: "b", width: 800, height: 800, file_size: 15 }] });
    const replies = await ann.waitReplies(before + 1);
    expect(String(replies.at(-1)!.text)).toContain("look at this");
    expect(files).toContain("big");
    const { readdirSync, readFileSync } = await import("node:fs");
    const stored = readdirSync(`${agent.dir}/uploads`).filter((f) => f.endsWith(".jpg"));
    expect(stored.length).toBeGreaterThan(0);
    expect(readFileSync(`${agent.dir}/uploads/${stored[0]}`, "utf8")).toBe("fake-jpeg-bytes");
  });

  it("resends as plain text when Telegram refuses the HTML, and waits out a 429", async () => {
    scripts.set("tricky formatting", { text: "Here is BROKEN-HTML **bold** and [a link](https://example.com/x)" });
    scripts.set("busy moment", { text: "RATE-LIMITED but delivered" });
    const hal = user({ userId: 800, userName: "hal" });
    await hal.say("tricky formatting");
    const [plain] = await hal.waitReplies(1);
    expect(plain!.text).toBe("Here is BROKEN-HTML bold and a link (https://example.com/x)");
    expect(plain!.parse_mode).toBeUndefined();
    await hal.say("busy moment");
    const replies = await hal.waitReplies(2, 6_000);
    expect(replies[1]!.text).toBe("RATE-LIMITED but delivered");
  });

  it("shows a long streaming answer as one message edited as it grows, ending as the formatted reply", async () => {
    const answer = `**Live** ${"word ".repeat(500)}`.trim();
    scripts.set("stream a long answer", { text: answer, chunkSize: 100, chunkDelayMs: 150 });
    const ivan = user({ userId: 810, userName: "ivan" });
    // what the user sees after each edit of the bot's message (the stand-in applies editMessageText in place)
    const seen: string[] = [];
    const onEdit = () => {
      const last = ivan.replies().at(-1);
      if (last) seen.push(String(last.text));
    };
    tg.on("EditedMessageText", onEdit);
    try {
      await ivan.say("stream a long answer");
      const [draft] = await ivan.waitReplies(1, 15_000);
      expect(draft!.text).toMatch(/^Live word.* …$/); // the draft: the text so far without markup, marked unfinished
      expect(draft!.parse_mode).toBeUndefined();
      const final = `<b>Live</b> ${"word ".repeat(500).trim()}`;
      await waitFor(() => (ivan.replies().at(-1)?.text === final ? true : undefined), "the draft edited into the formatted reply", 20_000);
      expect(ivan.replies().at(-1)!.parse_mode).toBe("HTML");
      // it grew: at least one edit of the draft while streaming, each longer than the one before, then the reply
      const drafts = seen.filter((t) => t.endsWith(" …"));
      expect(drafts.length).toBeGreaterThanOrEqual(1);
      for (let i = 1; i < drafts.length; i++) expect(drafts[i]!.length).toBeGreaterThan(drafts[i - 1]!.length);
      expect(seen.at(-1)).toBe(final);
      await sleep(500);
      expect(ivan.replies()).toHaveLength(1); // one message, never a second copy of the reply
      expect(bridge.methods.filter((m) => m === "deleteMessage")).toHaveLength(0);
    } finally {
      tg.off("EditedMessageText", onEdit);
    }
  });

  it("tells the user in one short line when the model fails", async () => {
    scripts.set("break please", { status: 500 });
    const dana = user({ userId: 400, userName: "dana" });
    await dana.say("break please");
    const [reply] = await dana.waitReplies(1);
    expect(reply!.text).toBe("Sorry — the model is unavailable right now.");
  });
});

describe("Telegram polling trouble", () => {
  it("keeps polling after a 409 conflict (another poller) and answers", async () => {
    const agent = await initAgent({ llmUrl: llm.url, edit: (cfg) => { cfg.channels = { telegram: { enabled: false, policy: "open" } }; } });
    const daemon = await startDaemon(agent.dir);
    let conflicts = 0;
    const conflict: Transformer = async (prev, method, payload, signal) => {
      if (method === "getUpdates" && conflicts < 2) {
        conflicts++;
        return { ok: false, error_code: 409, description: "Conflict: terminated by other getUpdates request" } as never;
      }
      return prev(method, payload, signal);
    };
    const bridge = startBridge(agent.dir, apiRoot, [conflict]);
    try {
      const eve = user({ userId: 500, userName: "eve" });
      await eve.say("still there?");
      const [reply] = await eve.waitReplies(1);
      expect(reply!.text).toContain("still there?");
      expect(conflicts).toBe(2);
      expect(bridge.logs.join("")).toContain("409 conflict");
    } finally {
      await bridge.stop();
      await daemon.stop();
      cleanup(agent.dir);
    }
  });

  it("stops with a clear error when Telegram refuses the token", async () => {
    const unauthorized: Transformer = async () => ({ ok: false, error_code: 401, description: "Unauthorized" }) as never;
    const bridge = startBridge("/nonexistent-agent", apiRoot, [unauthorized]);
    await expect(bridge.done).rejects.toThrow(/refused the bot token \(401/);
  });
});

describe("agentd bridge telegram DIR", () => {
  it("runs the built bridge from the agent folder's config and stops cleanly on SIGTERM", async () => {
    const token = "42:cli-bridge-token";
    const agent = await initAgent({
      llmUrl: llm.url,
      edit: (cfg) => { cfg.channels = { telegram: { enabled: false, policy: "open", botToken: token, apiRoot } }; },
    });
    const daemon = await startDaemon(agent.dir);
    // the stand-in answers getUpdates at once, so this process polls hot: keep it short
    const child = spawn(process.execPath, [CLI, "bridge", "telegram", agent.dir], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (out += c));
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    try {
      const client = tg.getClient(token, { userId: 900, chatId: 900, userName: "ivy" });
      await client.sendMessage(client.makeMessage("through the cli") as never);
      await waitFor(() => tg.storage.botMessages.some((m) => String(m.message.text).includes("through the cli")), "the CLI bridge's reply");
    } finally {
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      await daemon.stop();
      cleanup(agent.dir);
    }
    expect(out).toContain("Telegram bridge polling");
    expect(out).not.toContain(token);
  });
});

describe("Telegram across a daemon crash", () => {
  it("answers exactly once the message sent while the daemon was down, and a run cut off by the crash", async () => {
    const agent = await initAgent({ llmUrl: llm.url, edit: (cfg) => { cfg.channels = { telegram: { enabled: false, policy: "open" } }; } });
    let daemon = await startDaemon(agent.dir);
    const bridge = startBridge(agent.dir, apiRoot);
    try {
      const fay = user({ userId: 600, userName: "fay" });
      await fay.say("first words");
      await fay.waitReplies(1);

      // a run in progress when the daemon dies: the model stalls, the daemon is killed mid-run
      let stalled = false;
      scripts.set("mid-run words", { text: "unused" });
      llm.onRequest((req) => {
        const text = lastUser(req);
        if (text.includes("mid-run words") && !stalled) {
          stalled = true;
          return { stallAfterChunks: 0 };
        }
        for (const [key, turn] of scripts) if (text.includes(key) && key !== "mid-run words") return turn;
        return undefined;
      });
      await fay.say("mid-run words");
      await waitFor(() => stalled, "the model to receive the mid-run message");
      await daemon.kill();

      // a message sent while the daemon is down
      await fay.say("gap words");
      // the bridge may leave it with Telegram until the agent is back: an update is confirmed only once the agent
      // has stored its message (and the cut-off message's answer may have been lost with the daemon)
      await sleep(400);

      daemon = await startDaemon(agent.dir);
      const replies = await fay.waitReplies(3, 15_000);
      await sleep(800); // a duplicate would arrive now
      const texts = fay.replies().map((r) => String(r.text));
      expect(texts).toHaveLength(3);
      expect(texts.filter((t) => t.includes("gap words"))).toHaveLength(1);
      expect(texts.filter((t) => t.includes("mid-run words"))).toHaveLength(1);
      expect(replies[0]!.text).toContain("first words");
      const gapCalls = llm.requests.filter((r) => r.body?.stream && lastUser(r).includes("gap words"));
      expect(gapCalls).toHaveLength(1);
    } finally {
      llm.onRequest((req) => {
        const text = lastUser(req);
        for (const [key, turn] of scripts) if (text.includes(key)) return turn;
        return undefined;
      });
      await bridge.stop();
      await daemon.stop();
      cleanup(agent.dir);
    }
  });
});
