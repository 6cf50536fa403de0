import { describe, it, expect } from "vitest";
import { fileRefsOf, isFromPerson, plainText, toIncoming, type SlackMessageEvent } from "./inbound.js";

const BOT = "U0BOT";
const ev = (extra: Partial<SlackMessageEvent>): SlackMessageEvent => ({ type: "message", channel: "D0ANN", channel_type: "im", user: "U0ANN", text: "hi", ts: "1700000000.000100", ...extra });

describe("Slack inbound", () => {
  it("addresses a DM to the chat, threaded only when the user wrote in a thread", () => {
    expect(toIncoming(ev({}), BOT, false)!.msg).toEqual({
      messageId: "1700000000.000100", ts: "1700000000.000100", text: "hi",
      channel: { platform: "slack", chatId: "D0ANN", userId: "U0ANN", isGroup: false, mentioned: true },
    });
    expect(toIncoming(ev({ thread_ts: "1699999999.000001" }), BOT, false)!.msg.channel.threadId).toBe("1699999999.000001");
  });

  it("makes every channel conversation a thread: a mention starts one under itself", () => {
    const top = toIncoming(ev({ type: "app_mention", channel: "C0GEN", channel_type: undefined, text: `<@${BOT}> plan?` }), BOT, true)!.msg;
    expect(top.channel).toEqual({ platform: "slack", chatId: "C0GEN", userId: "U0ANN", threadId: "1700000000.000100", isGroup: true, mentioned: true });
    expect(top.text).toBe("plan?");
    const reply = toIncoming(ev({ channel: "C0GEN", channel_type: "channel", thread_ts: "1699.1", ts: "1700.2" }), BOT, false)!.msg;
    expect(reply.channel).toMatchObject({ threadId: "1699.1", isGroup: true, mentioned: false });
  });

  it("decodes Slack's markup into what the user saw", () => {
    expect(plainText(`<@${BOT}>, compare <https://a.example/x?y=1&amp;z=2|the page> &amp; <https://b.example> with <@U0BOB> in <#C0GEN|general> <!here> 1 &lt; 2`, BOT)).toBe(
      "compare the page (https://a.example/x?y=1&z=2) & https://b.example with @U0BOB in #general @here 1 < 2",
    );
    expect(plainText(`ask <@${BOT}> later`, BOT)).toBe(`ask @${BOT} later`);
  });

  it("skips the bot's own messages, other bots, edits and joins; keeps file shares and broadcasts", () => {
    expect([ev({}), ev({ subtype: "file_share" }), ev({ subtype: "thread_broadcast" })].every((e) => isFromPerson(e, BOT))).toBe(true);
    const skipped = [ev({ user: BOT }), ev({ bot_id: "B1" }), ev({ subtype: "message_changed" }), ev({ subtype: "channel_join" }), ev({ user: undefined })];
    expect(skipped.some((e) => isFromPerson(e, BOT))).toBe(false);
  });

  it("lists downloadable files and drops messages with neither text nor file", () => {
    const files = [
      { id: "F1", name: "a.pdf", mimetype: "application/pdf", size: 9, url_private_download: "https://files.slack.com/a/download" },
      { id: "F2", mode: "tombstone" },
      { id: "F3", url_private: "https://files.slack.com/b" },
    ];
    expect(fileRefsOf(ev({ files }))).toEqual([
      { url: "https://files.slack.com/a/download", filename: "a.pdf", mime: "application/pdf", bytes: 9 },
      { url: "https://files.slack.com/b", filename: "file-F3", mime: "application/octet-stream" },
    ]);
    expect(toIncoming(ev({ text: `<@${BOT}>` }), BOT, true)).toBeUndefined();
    expect(toIncoming(ev({ text: "", files }), BOT, false)!.files).toHaveLength(2);
  });
});
