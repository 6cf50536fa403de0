import { describe, it, expect } from "vitest";
import type { Message } from "grammy/types";
import { cleanText, fileRefsOf, isAddressedToBot, toIncoming } from "./inbound.js";

const bot = { id: 666, username: "my_agent_bot" };
const ann = { id: 100, is_bot: false, first_name: "Ann", username: "ann" };

function message(extra: Record<string, unknown>, chat: Record<string, unknown> = { id: 100, type: "private", first_name: "Ann" }): Message {
  return { message_id: 5, date: 0, chat, from: ann, ...extra } as unknown as Message;
}
const group = { id: -42, type: "supergroup", title: "G" };

describe("Telegram inbound", () => {
  it("builds the channel address of a private message", () => {
    const r = toIncoming(message({ text: "hello" }), bot)!;
    expect(r.msg).toMatchObject({ messageId: "5", chatId: 100, text: "hello" });
    expect(r.msg.channel).toEqual({ platform: "telegram", chatId: "100", userId: "100", userName: "ann", isGroup: false, mentioned: true });
  });

  it("never uses a display name as the user name", () => {
    const r = toIncoming(message({ text: "hi", from: { id: 7, is_bot: false, first_name: "ann" } }), bot)!;
    expect(r.msg.channel.userName).toBeUndefined();
  });

  it("knows when a group message is addressed to the bot", () => {
    const mention = message({ text: "@my_agent_bot hi", entities: [{ type: "mention", offset: 0, length: 13 }] }, group);
    const other = message({ text: "@someone hi", entities: [{ type: "mention", offset: 0, length: 8 }] }, group);
    const reply = message({ text: "yes", reply_to_message: { message_id: 1, date: 0, chat: group, from: { id: 666, is_bot: true, first_name: "B" } } }, group);
    const cmd = message({ text: "/new@my_agent_bot", entities: [{ type: "bot_command", offset: 0, length: 17 }] }, group);
    const otherCmd = message({ text: "/new@other_bot", entities: [{ type: "bot_command", offset: 0, length: 14 }] }, group);
    expect([mention, other, reply, cmd, otherCmd].map((m) => isAddressedToBot(m, bot))).toEqual([true, false, true, true, false]);
    expect(toIncoming(mention, bot)!.msg.channel).toMatchObject({ isGroup: true, mentioned: true });
    expect(toIncoming(message({ text: "chatter" }, group), bot)!.msg.channel).toMatchObject({ isGroup: true, mentioned: false });
  });

  it("strips the leading mention and the command's bot suffix", () => {
    expect(cleanText("@my_agent_bot, what time is it?", bot)).toBe("what time is it?");
    expect(cleanText("/switch@My_Agent_Bot 2", bot)).toBe("/switch 2");
    expect(cleanText("ask @my_agent_bot later", bot)).toBe("ask @my_agent_bot later");
  });

  it("keeps a forum topic as the thread, but not a plain reply thread", () => {
    const topic = toIncoming(message({ text: "q", message_thread_id: 9, is_topic_message: true }, group), bot)!;
    expect(topic.msg.topicId).toBe(9);
    expect(topic.msg.channel.threadId).toBe("9");
    const replyThread = toIncoming(message({ text: "q", message_thread_id: 3 }, group), bot)!;
    expect(replyThread.msg.channel.threadId).toBeUndefined();
  });

  it("lists the largest photo, documents and voice notes, and skips bots and empty messages", () => {
    const photo = message({ caption: "look", photo: [{ file_id: "s", file_unique_id: "s", width: 1, height: 1 }, { file_id: "l", file_unique_id: "l", width: 9, height: 9, file_size: 99 }] });
    expect(fileRefsOf(photo)).toEqual([{ fileId: "l", filename: "photo-5.jpg", mime: "image/jpeg", bytes: 99 }]);
    expect(toIncoming(photo, bot)!.msg.text).toBe("look");
    const voice = message({ voice: { file_id: "v", file_unique_id: "v", duration: 2, mime_type: "audio/ogg" } });
    expect(toIncoming(voice, bot)!.files).toEqual([{ fileId: "v", filename: "voice-5.ogg", mime: "audio/ogg" }]);
    const doc = message({ document: { file_id: "d", file_unique_id: "d", file_name: "a.pdf", mime_type: "application/pdf" } });
    expect(fileRefsOf(doc)[0]).toMatchObject({ filename: "a.pdf", mime: "application/pdf" });
    expect(toIncoming(message({ text: "hi", from: { id: 1, is_bot: true, first_name: "B" } }), bot)).toBeUndefined();
    expect(toIncoming(message({ new_chat_title: "x" }), bot)).toBeUndefined();
  });
});
