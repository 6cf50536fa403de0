import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, it, expect } from "vitest";
import { Store } from "../store/store.js";
import { Config } from "../config/schema.js";
import type { ChannelAddress } from "../../protocol/chat.js";
import { parseCommand, runChatCommand } from "./commands.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const dm: ChannelAddress = { platform: "telegram", chatId: "42", userId: "42", userName: "ann", isGroup: false, mentioned: false };

function setup(channels: Record<string, unknown> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "agentd-commands-"));
  dirs.push(dir);
  const store = new Store(join(dir, "agentd.db"));
  const config = Config.parse({
    model: "main",
    providers: { p: { baseUrl: "http://127.0.0.1:1/v1" } },
    models: { main: { provider: "p", model: "big-1" }, fast: { provider: "p", model: "small-1" } },
    agent: { timezone: "UTC" },
    channels,
  });
  const aborted: unknown[] = [];
  let running = true;
  const deps = {
    store, config: () => config,
    runner: { abort: (t: { sessionId?: string | undefined }) => { aborted.push(t); return running; } },
  };
  let n = 0;
  /** What the daemon does with a channel message: store it in the chat's session, then run the command. */
  const say = (text: string, ch: ChannelAddress = dm) => {
    const thread = ch.threadId ?? "";
    let sessionId = store.getBinding(ch.platform, ch.chatId, thread)?.sessionId;
    if (!sessionId) {
      sessionId = store.createSession().id;
      store.setBinding(ch.platform, ch.chatId, thread, sessionId);
    }
    store.acceptMessage({ sessionId, content: text, idempotencyKey: `k${++n}`, channel: ch });
    const cmd = parseCommand(text);
    return { sessionId, reply: cmd && runChatCommand(cmd, { channel: ch, sessionId }, deps) };
  };
  const bound = (ch: ChannelAddress = dm) => store.getBinding(ch.platform, ch.chatId, ch.threadId ?? "");
  return { store, say, bound, aborted, setRunning: (r: boolean) => (running = r) };
}

describe("parseCommand", () => {
  it("reads the name and arguments", () => {
    expect(parseCommand("/switch 2")).toEqual({ name: "switch", args: "2" });
    expect(parseCommand("  /NEW  ")).toEqual({ name: "new", args: "" });
    expect(parseCommand("/model fast\n")).toEqual({ name: "model", args: "fast" });
  });

  it("strips Telegram's @botname and leading mentions", () => {
    expect(parseCommand("/new@my_agent_bot")).toEqual({ name: "new", args: "" });
    expect(parseCommand("/switch@my_agent_bot 3")).toEqual({ name: "switch", args: "3" });
    expect(parseCommand("@my_agent_bot /sessions")).toEqual({ name: "sessions", args: "" });
    expect(parseCommand("<@123456789012345678> /stop")).toEqual({ name: "stop", args: "" });
    expect(parseCommand("<@!1>, /help")).toEqual({ name: "help", args: "" });
  });

  it("reads the !name form every bridge accepts (Slack keeps /name for itself)", () => {
    expect(parseCommand("!new")).toEqual({ name: "new", args: "" });
    expect(parseCommand("!Switch 2")).toEqual({ name: "switch", args: "2" });
    expect(parseCommand("<@U0123ABCD> !sessions")).toEqual({ name: "sessions", args: "" });
    expect(parseCommand("! new")).toBeUndefined();
    expect(parseCommand("!!")).toBeUndefined();
  });

  it("leaves other text alone", () => {
    expect(parseCommand("hello /new")).toBeUndefined();
    expect(parseCommand("/ new")).toBeUndefined();
    expect(parseCommand("/1")).toBeUndefined();
    expect(parseCommand("// comment")).toBeUndefined();
    expect(parseCommand("/usr/bin/env")).toBeUndefined();
  });
});

describe("chat commands", () => {
  it("/new starts a session and rebinds the chat; /sessions lists this chat's sessions, numbered", () => {
    const t = setup();
    const first = t.say("plan a trip to Rome").sessionId;
    const r = t.say("/new");
    expect(r.sessionId).toBe(first); // the command itself lands in the old session
    expect(r.reply).toMatch(/new session \(#2\)/);
    const second = t.bound()!.sessionId;
    expect(second).not.toBe(first);
    expect(t.say("hello again").sessionId).toBe(second);
    const list = t.say("/sessions").reply!;
    expect(list).toMatch(/1\. plan a trip to Rome · /);
    expect(list).toMatch(/2\. hello again · .*\(current\)/);
    // another chat never sees these sessions
    const other = { ...dm, chatId: "7", userId: "7" };
    t.say("hi", other);
    expect(t.say("/sessions", other).reply).not.toContain("Rome");
    expect(t.store.chatSessions({ platform: "telegram", chatId: "7", threadId: "" })).toHaveLength(1);
  });

  it("lists an empty session made by /new as (empty), and keeps numbering stable", () => {
    const t = setup();
    t.say("one");
    t.say("/new");
    t.say("/new");
    const list = t.say("/sessions").reply!;
    expect(list.match(/^\d+\./gm)).toEqual(["1.", "2.", "3."]);
    expect(list).toMatch(/2\. \(empty\)/);
    expect(list).toMatch(/3\. \(empty\).*\(current\)/); // "/sessions" is a command: not a label
  });

  it("/switch N goes back to a session and keeps the chat's model choice", () => {
    const t = setup({ telegram: { allowModelSwitch: true } });
    const first = t.say("first topic").sessionId;
    t.say("/model fast");
    t.say("/new");
    expect(t.bound()!.model).toBe("fast");
    expect(t.say("/switch 1").reply).toBe("Switched to session 1: first topic. I'll continue from there.");
    expect(t.bound()).toMatchObject({ sessionId: first, model: "fast" });
    expect(t.say("/switch 1").reply).toMatch(/already the current one/);
    expect(t.say("/switch 9").reply).toMatch(/no session 9; \/sessions lists 1 to 2/);
    expect(t.say("/switch two").reply).toMatch(/^Usage: \/switch N/);
    expect(t.bound()!.sessionId).toBe(first);
  });

  it("keeps threads apart from their chat", () => {
    const t = setup();
    const thread = { ...dm, threadId: "t1" };
    const inChat = t.say("in chat").sessionId;
    const inThread = t.say("in thread", thread).sessionId;
    expect(inThread).not.toBe(inChat);
    t.say("/new", thread);
    expect(t.bound()!.sessionId).toBe(inChat);
    expect(t.say("/sessions", thread).reply).not.toContain("in chat");
  });

  it("/stop aborts the running reply of the chat's session", () => {
    const t = setup();
    const { sessionId } = t.say("write an essay");
    expect(t.say("/stop").reply).toBe("Stopped.");
    expect(t.aborted).toEqual([{ sessionId }]);
    t.setRunning(false);
    expect(t.say("/stop").reply).toBe("Nothing to stop.");
  });

  it("/model shows the model; switching needs allowModelSwitch and a known name", () => {
    const locked = setup();
    expect(locked.say("/model").reply).toBe("Model: main (big-1 via p).");
    expect(locked.say("/model fast").reply).toMatch(/not enabled for telegram chats/);
    expect(locked.bound()!.model).toBeNull();

    const t = setup({ telegram: { allowModelSwitch: true } });
    expect(t.say("/model").reply).toMatch(/Switch with \/model NAME: main, fast/);
    expect(t.say("/model nope").reply).toMatch(/no model named "nope". Choose one of: main, fast/);
    expect(t.say("/model fast").reply).toBe("This chat now uses fast (small-1 via p).");
    expect(t.bound()!.model).toBe("fast");
    expect(t.say("/model").reply).toMatch(/^Model of this chat: fast \(small-1 via p\); the agent's default is main\./);
    expect(t.say("/model default").reply).toMatch(/default model again: main/);
    expect(t.bound()!.model).toBeNull();
  });

  it("/help and /start list the commands; unknown commands go to the model", () => {
    const t = setup();
    const help = t.say("/help").reply!;
    for (const c of ["/new", "/sessions", "/switch N", "/stop", "/model", "/help"]) expect(help).toContain(c);
    expect(t.say("/start").reply).toBe(help);
    expect(t.say("/shrug").reply).toBeUndefined();
  });

  it("speaks Slack's !command convention in a Slack thread, and keeps the thread its own conversation", () => {
    const t = setup();
    const thread: ChannelAddress = { platform: "slack", chatId: "C1", threadId: "1700000000.000100", userId: "U1", isGroup: true, mentioned: true };
    const first = t.say("about Rome", thread).sessionId;
    const r = t.say("!new", thread);
    expect(r.reply).toBe("Started a new session (#2). Your earlier ones are in !sessions.");
    expect(t.bound(thread)!.sessionId).not.toBe(first);
    expect(t.bound({ ...thread, threadId: "1700000000.000200" })).toBeUndefined();
    const help = t.say("!help", thread).reply!;
    for (const c of ["!new", "!sessions", "!switch N", "!stop", "!model", "!help"]) expect(help).toContain(c);
    expect(help).not.toContain("/");
    expect(t.say("!switch", thread).reply).toBe("Usage: !switch N, where N is a number from !sessions.");
  });

  it("shows only the newest sessions but keeps their numbers", () => {
    const t = setup();
    t.say("s1");
    for (let i = 2; i <= 12; i++) {
      t.say("/new");
      t.say(`s${i}`);
    }
    const list = t.say("/sessions").reply!;
    expect(list).toContain("(2 older not shown; /switch 1 to 2 still works)");
    expect(list).toMatch(/^3\. s3 /m);
    expect(list).toMatch(/^12\. s12 .*\(current\)$/m);
    expect(list).not.toMatch(/^1\. /m);
    expect(t.say("/switch 1").reply).toMatch(/session 1: s1/);
  });
});
