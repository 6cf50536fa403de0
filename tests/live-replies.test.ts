/**
 * Live replies across a bridge restart (issue 12): the real daemon supervising the real Telegram bridge process,
 * the Telegram stand-in behind the shim, and a scripted model streaming a long answer slowly. The bridge is
 * stopped mid-stream, once cleanly (SIGTERM: it deletes its draft) and once with SIGKILL (its draft stays, marked
 * unfinished); the supervisor starts it again, and the reply comes from the outbox as a normal message. Either way
 * the user sees the final text exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lastUserText, startFakeLlm, type FakeLlm } from "./support/fake-llm.js";
import { startTelegramShim, type TelegramShim } from "./support/telegram-shim.js";
import { cleanup, initAgent, startDaemon, waitFor, type RunningDaemon } from "./support/daemon.js";

const TOKEN = "5151:live-replies-token";
const answerOf = (n: number) => `**Answer ${n}** ${"streamed words ".repeat(160)}`.trim();
const finalOf = (n: number) => `<b>Answer ${n}</b> ${"streamed words ".repeat(160).trim()}`;

let llm: FakeLlm;
let shim: TelegramShim;
let agent: { dir: string };
let daemon: RunningDaemon;

beforeAll(async () => {
  llm = await startFakeLlm();
  // ~2,400 characters over ~6 s: several draft edits at Telegram's one per second
  llm.onRequest((req) => {
    const n = /slow answer (\d+)/.exec(lastUserText(req.body))?.[1];
    return n === undefined ? undefined : { text: answerOf(Number(n)), chunkSize: 40, chunkDelayMs: 100 };
  });
  shim = await startTelegramShim();
  agent = await initAgent({
    llmUrl: llm.url,
    edit: (cfg) => {
      cfg.agent = { ...cfg.agent, titleSessions: false };
      cfg.channels = { telegram: { enabled: true, policy: "open", botToken: TOKEN, apiRoot: shim.apiRoot } };
    },
  });
  daemon = await startDaemon(agent.dir);
});

afterAll(async () => {
  await daemon?.stop();
  await shim?.close();
  await llm?.close();
  if (agent) cleanup(agent.dir);
});

/** What the user sees in `chatId`: the bot's messages still there, with their current (edited) text. */
const visible = (chatId: number) => shim.emulator.storage.botMessages.filter((m) => String(m.message.chat_id) === String(chatId)).map((m) => String(m.message.text));

async function bridgePid(): Promise<number> {
  return waitFor(async () => {
    const { bridges } = (await (await daemon.api("/api/bridges")).json()) as { bridges: Array<{ platform: string; state: string; pid?: number }> };
    const b = bridges.find((x) => x.platform === "telegram");
    return b?.state === "running" && b.pid ? b.pid : undefined;
  }, "the supervised Telegram bridge", 15_000);
}

/** Sends `slow answer n` from a fresh chat, waits for the draft to show, then stops the bridge with `signal`. */
async function stopMidStream(n: number, signal: NodeJS.Signals): Promise<number> {
  const chatId = 8100 + n;
  const pid = await bridgePid();
  const user = shim.emulator.getClient(TOKEN, { userId: chatId, chatId, userName: `user${n}`, firstName: `User ${n}` });
  await user.sendMessage(user.makeMessage(`slow answer ${n}`) as never);
  // the draft is there and has grown once (an edit the platform answered with the edited message)
  const edited = () => shim.calls.some((c) => c.method === "editMessageText" && String(c.params.chat_id) === String(chatId) && c.result?.message_id);
  await waitFor(() => (edited() && visible(chatId).some((t) => t.endsWith(" …")) ? true : undefined), `a growing draft in chat ${chatId}`, 20_000);
  process.kill(pid, signal);
  await waitFor(async () => ((await bridgePid()) !== pid ? true : undefined), "the bridge started again", 20_000);
  await waitFor(() => visible(chatId).includes(finalOf(n)) || undefined, `the reply in chat ${chatId}`, 30_000);
  return chatId;
}

describe("live replies when the bridge restarts mid-stream", () => {
  it("a cleanly stopped bridge deletes its draft; the reply comes once, as a new message", async () => {
    const chatId = await stopMidStream(1, "SIGTERM");
    expect(shim.calls.some((c) => c.method === "deleteMessage" && String(c.params.chat_id) === String(chatId))).toBe(true);
    expect(visible(chatId)).toEqual([finalOf(1)]);
  }, 90_000);

  it("a killed bridge leaves its draft marked unfinished; the final text is still shown once", async () => {
    const chatId = await stopMidStream(2, "SIGKILL");
    const shown = visible(chatId);
    expect(shown.filter((t) => t === finalOf(2))).toHaveLength(1);
    expect(shown).toHaveLength(2);
    expect(shown[0]).toMatch(/^Answer 2 streamed words .* …$/);
  }, 90_000);
});
