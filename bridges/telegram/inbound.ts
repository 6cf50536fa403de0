/**
 * A Telegram message (Bot API `Message`, https://core.telegram.org/bots/api#message) as the message every bridge
 * shares: channel address, text, and the files to fetch. Pure functions, no network.
 */
import type { Message } from "grammy/types";
import type { IncomingMessage } from "../common/bridge-runtime.js";

/** The bot's own identity, from `getMe`. */
export interface TelegramBotIdentity {
  id: number;
  username: string;
}

/** A Telegram message in the shared shape, plus what replying needs (numeric ids, forum topic). */
export interface TelegramIncoming extends IncomingMessage {
  chatId: number;
  telegramMessageId: number;
  /** The forum topic (`message_thread_id` of a topic message); replies go to the same topic. */
  topicId?: number;
}

/** A file attached to a Telegram message, to download with `getFile`. */
export interface TelegramFileRef {
  fileId: string;
  filename: string;
  mime: string;
  /** Declared size in bytes, when Telegram gives it. */
  bytes?: number;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Whether a message is addressed to the bot: any private chat; in groups a command (`/x` or `/x@bot`), an
 * `@bot` mention (or a `text_mention` of the bot), or a reply to one of the bot's messages.
 */
export function isAddressedToBot(message: Message, bot: TelegramBotIdentity): boolean {
  if (message.chat.type === "private") return true;
  if (message.reply_to_message?.from?.id === bot.id) return true;
  const text = message.text ?? message.caption ?? "";
  const entities = message.entities ?? message.caption_entities ?? [];
  const handle = `@${bot.username}`.toLowerCase();
  for (const e of entities) {
    const part = text.slice(e.offset, e.offset + e.length).toLowerCase();
    if (e.type === "mention" && part === handle) return true;
    if (e.type === "text_mention" && e.user.id === bot.id) return true;
    if (e.type === "bot_command" && e.offset === 0 && (!part.includes("@") || part.endsWith(handle))) return true;
  }
  return false;
}

/**
 * The text to send to the agent: the message text or caption with a leading `@bot` mention removed and a
 * command's `@bot` suffix dropped (`/switch@my_bot 2` → `/switch 2`), so the daemon sees plain commands.
 */
export function cleanText(text: string, bot: TelegramBotIdentity): string {
  const name = escapeRe(bot.username);
  return text
    .replace(new RegExp(`^\\s*@${name}\\b[\\s,:]*`, "i"), "")
    .replace(new RegExp(`^(/[A-Za-z0-9_]+)@${name}\\b`, "i"), "$1")
    .trim();
}

/** The files of a message: the largest photo size, a document, a voice note or an audio file. */
export function fileRefsOf(message: Message): TelegramFileRef[] {
  const id = message.message_id;
  const refs: TelegramFileRef[] = [];
  const withSize = (ref: TelegramFileRef, size: number | undefined): TelegramFileRef => (size === undefined ? ref : { ...ref, bytes: size });
  const photo = message.photo?.at(-1);
  if (photo) refs.push(withSize({ fileId: photo.file_id, filename: `photo-${id}.jpg`, mime: "image/jpeg" }, photo.file_size));
  const doc = message.document;
  if (doc) refs.push(withSize({ fileId: doc.file_id, filename: doc.file_name ?? `document-${id}`, mime: doc.mime_type ?? "application/octet-stream" }, doc.file_size));
  const voice = message.voice;
  if (voice) refs.push(withSize({ fileId: voice.file_id, filename: `voice-${id}.ogg`, mime: voice.mime_type ?? "audio/ogg" }, voice.file_size));
  const audio = message.audio;
  if (audio) refs.push(withSize({ fileId: audio.file_id, filename: audio.file_name ?? `audio-${id}.mp3`, mime: audio.mime_type ?? "audio/mpeg" }, audio.file_size));
  return refs;
}

/**
 * Converts a Telegram message to the shared shape (files not yet downloaded), or undefined for messages a bridge
 * does not forward: from bots (including itself), service messages, messages with neither text nor a file.
 * Address: chat id, user id, `@username` when the user has one (never the display name: it is not unique and
 * must not match an allowlist), the forum topic as thread id, `isGroup` for groups and supergroups, and
 * `mentioned` per {@link isAddressedToBot}.
 */
export function toIncoming(message: Message, bot: TelegramBotIdentity): { msg: TelegramIncoming; files: TelegramFileRef[] } | undefined {
  const from = message.from;
  if (!from || from.is_bot) return undefined;
  const files = fileRefsOf(message);
  const text = cleanText(message.text ?? message.caption ?? "", bot);
  if (!text && files.length === 0) return undefined;
  const topicId = message.is_topic_message ? message.message_thread_id : undefined;
  const msg: TelegramIncoming = {
    messageId: String(message.message_id),
    telegramMessageId: message.message_id,
    chatId: message.chat.id,
    text,
    channel: {
      platform: "telegram",
      chatId: String(message.chat.id),
      userId: String(from.id),
      ...(from.username ? { userName: from.username } : {}),
      ...(topicId !== undefined ? { threadId: String(topicId) } : {}),
      isGroup: message.chat.type === "group" || message.chat.type === "supergroup",
      mentioned: isAddressedToBot(message, bot),
    },
    ...(topicId !== undefined ? { topicId } : {}),
  };
  return { msg, files };
}
