/**
 * How the Telegram bridge talks back: replies in Telegram HTML split at 4096 characters (counted after entity
 * parsing, as Telegram counts), a plain-text resend when Telegram rejects the HTML, and `sendChatAction typing`
 * every 4 s. Rate limits (429 `retry_after`) are waited out by `@grammyjs/auto-retry`, installed on the bot's API
 * in {@link import("./bridge.js").runTelegramBridge}; a 5xx or network error fails the delivery, which the daemon's
 * outbox offers again with backoff.
 */
import { GrammyError, InputFile, type Api } from "grammy";
import type { PlatformAdapter, BridgeLogger } from "../common/bridge-runtime.js";
import { TELEGRAM_MAX_CHARS, formatTelegramChunks, stripMarkdown, telegramHtmlToPlain } from "../common/format-telegram.js";
import { splitMessage } from "../common/split-message.js";
import { TYPING_INTERVAL_MS } from "../common/typing-loop.js";
import type { TelegramIncoming } from "./inbound.js";
import type { DeliveryAddress, DeliveryButton } from "../../protocol/deliveries.js";

/** Largest file a bot uploads, in bytes: 50 MB (Bot API, "Sending files": "50 MB for other files"). */
export const TELEGRAM_MAX_UPLOAD_BYTES = 50 * 1000 * 1000;
/** Largest photo for sendPhoto, in bytes: 10 MB (Bot API sendPhoto); a bigger image goes as a document. */
export const TELEGRAM_MAX_PHOTO_BYTES = 10 * 1000 * 1000;

/**
 * Least milliseconds between two sends/edits of a live reply's draft: 1 s in a private chat, 3 s in a group.
 * Telegram: "avoid sending more than one message per second in a particular chat" and "not more than 20 messages
 * per minute" in a group (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this); an
 * edit counts as a message. A 429 beyond that is waited out by auto-retry.
 */
export function telegramDraftIntervalMs(chatId: string): number {
  return chatId.startsWith("-") ? 3_000 : 1_000;
}

/** Whether Telegram refused an edit because the text is what the message already says (nothing to do). */
function isNotModified(err: unknown): boolean {
  return err instanceof GrammyError && err.error_code === 400 && /message is not modified/i.test(err.description);
}

/** Whether Telegram refused a message because of its formatting (`Bad Request: can't parse entities ...`). */
function isEntityError(err: unknown): boolean {
  return err instanceof GrammyError && err.error_code === 400 && /entit|parse|tag/i.test(err.description);
}

/**
 * Whether Telegram will never take messages for this chat: 403 (the bot was blocked or removed) or 400 "chat not
 * found" / "message thread not found" (Bot API error descriptions).
 */
export function isPermanentTelegramError(err: unknown): boolean {
  if (!(err instanceof GrammyError)) return false;
  return err.error_code === 403 || (err.error_code === 400 && /chat not found|thread not found|PEER_ID_INVALID/i.test(err.description));
}

/**
 * The Telegram {@link PlatformAdapter}: the first chunk replies to `address.replyTo` (`reply_parameters`, sent
 * even if that message was deleted), every chunk goes to the same forum topic (`threadId`), in order; each chunk's
 * message id is reported as soon as `sendMessage` returns. A delivery's buttons become an inline keyboard under
 * its last chunk (`reply_markup.inline_keyboard`, one row).
 */
export function telegramAdapter(api: Api, logger: BridgeLogger): PlatformAdapter<TelegramIncoming> {
  const send = async (address: DeliveryAddress, text: string, first: boolean, html: boolean, buttons?: DeliveryButton[]): Promise<string> => {
    const sent = await api.sendMessage(address.chatId, text, {
        ...(buttons?.length ? { reply_markup: { inline_keyboard: [buttons.map((b) => ({ text: b.text, callback_data: b.data }))] } } : {}),
        ...(html ? { parse_mode: "HTML" as const } : {}),
        ...(first && address.replyTo ? { reply_parameters: { message_id: Number(address.replyTo), allow_sending_without_reply: true } } : {}),
        ...(address.threadId ? { message_thread_id: Number(address.threadId) } : {}),
        link_preview_options: { is_disabled: true },
      });
    return String(sent.message_id);
  };
  const edit = async (address: DeliveryAddress, id: string, text: string, html: boolean): Promise<void> => {
    try {
      await api.editMessageText(address.chatId, Number(id), text, { ...(html ? { parse_mode: "HTML" as const } : {}), link_preview_options: { is_disabled: true } });
    } catch (err) {
      if (!isNotModified(err)) throw err;
    }
  };
  return {
    platform: "telegram",
    // live replies: a plain-text draft (sendMessage), edited with editMessageText
    // (https://core.telegram.org/bots/api#editmessagetext), finally into the reply's first HTML chunk
    drafts: {
      maxChars: TELEGRAM_MAX_CHARS,
      preview: stripMarkdown,
      intervalMs: (address) => telegramDraftIntervalMs(address.chatId),
      send: (address, text) => send(address, text, true, false),
      edit: (address, id, text) => edit(address, id, text, false),
      finish: (address, id, chunk) => edit(address, id, chunk, true),
      delete: async (address, id) => void (await api.deleteMessage(address.chatId, Number(id))),
    },
    typingIntervalMs: TYPING_INTERVAL_MS.telegram,
    format: (markdown) => formatTelegramChunks(markdown, TELEGRAM_MAX_CHARS, { measure: "text" }),
    async sendDelivery(address, chunks, onSent, extras) {
      const ids: string[] = [];
      let first = true;
      for (const [i, chunk] of chunks.entries()) {
        const buttons = i === chunks.length - 1 ? extras?.buttons : undefined;
        let id: string;
        try {
          id = await send(address, chunk, first, true, buttons);
        } catch (err) {
          if (!isEntityError(err)) throw err;
          logger.warn({ err: (err as Error).message }, "Telegram refused the HTML; sending plain text");
          // the chunk's first part stands for it (one id per chunk keeps a resend's count of sent chunks right)
          const parts = splitMessage(telegramHtmlToPlain(chunk), { maxChars: TELEGRAM_MAX_CHARS });
          id = await send(address, parts[0] ?? "", first, false, parts.length === 1 ? buttons : undefined);
          for (const [j, part] of parts.slice(1).entries()) await send(address, part, false, false, j === parts.length - 2 ? buttons : undefined);
        }
        first = false;
        ids.push(id);
        onSent(id);
      }
      return ids;
    },
    maxAttachmentBytes: () => TELEGRAM_MAX_UPLOAD_BYTES,
    async sendAttachment(address, a, bytes) {
      const other = {
        ...(address.replyTo ? { reply_parameters: { message_id: Number(address.replyTo), allow_sending_without_reply: true } } : {}),
        ...(address.threadId ? { message_thread_id: Number(address.threadId) } : {}),
      };
      // an InputFile over bytes (not a stream): auto-retry can send it again
      const file = new InputFile(bytes, a.name);
      const sent: { message_id: number } =
        a.kind === "image" && a.bytes <= TELEGRAM_MAX_PHOTO_BYTES ? await api.sendPhoto(address.chatId, file, other)
        : a.kind === "voice" ? await api.sendVoice(address.chatId, file, other)
        : a.kind === "audio" ? await api.sendAudio(address.chatId, file, other)
        : a.kind === "video" ? await api.sendVideo(address.chatId, file, other)
        : await api.sendDocument(address.chatId, file, other);
      return String(sent.message_id);
    },
    isPermanent: isPermanentTelegramError,
    sendTyping: (msg) => api.sendChatAction(msg.chatId, "typing", msg.topicId !== undefined ? { message_thread_id: msg.topicId } : {}),
  };
}
