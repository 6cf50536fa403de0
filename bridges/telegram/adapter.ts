/**
 * How the Telegram bridge talks back: replies in Telegram HTML split at 4096 characters (counted after entity
 * parsing, as Telegram counts), a plain-text resend when Telegram rejects the HTML, `sendChatAction typing`
 * every 4 s, and a wait-and-retry on 429 (`retry_after`) and on network errors.
 */
import { GrammyError, HttpError, InputFile, type Api } from "grammy";
import type { PlatformAdapter, BridgeLogger } from "../common/bridge-runtime.js";
import { TELEGRAM_MAX_CHARS, formatTelegramChunks, telegramHtmlToPlain } from "../common/format-telegram.js";
import { splitMessage } from "../common/split-message.js";
import { TYPING_INTERVAL_MS } from "../common/typing-loop.js";
import { sleep } from "../../protocol/backoff.js";
import type { TelegramIncoming } from "./inbound.js";
import type { DeliveryAddress, DeliveryButton } from "../../protocol/deliveries.js";

/** Largest file a bot uploads, in bytes: 50 MB (Bot API, "Sending files": "50 MB for other files"). */
export const TELEGRAM_MAX_UPLOAD_BYTES = 50 * 1000 * 1000;
/** Largest photo for sendPhoto, in bytes: 10 MB (Bot API sendPhoto); a bigger image goes as a document. */
export const TELEGRAM_MAX_PHOTO_BYTES = 10 * 1000 * 1000;

/** Most attempts per Bot API call before the error is passed on. */
const MAX_ATTEMPTS = 4;

/**
 * Calls `fn`, retrying on 429 after Telegram's `retry_after` seconds (capped at 60) and on network errors
 * (`HttpError`) after 0.5, 1, 2 s; other errors are thrown at once.
 */
export async function withTelegramRetry<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= MAX_ATTEMPTS) throw err;
      if (err instanceof GrammyError && err.error_code === 429) await sleep(Math.min(err.parameters.retry_after ?? 1, 60) * 1000);
      else if (err instanceof HttpError) await sleep(250 * 2 ** attempt);
      else throw err;
    }
  }
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
    const sent = await withTelegramRetry(() =>
      api.sendMessage(address.chatId, text, {
        ...(buttons?.length ? { reply_markup: { inline_keyboard: [buttons.map((b) => ({ text: b.text, callback_data: b.data }))] } } : {}),
        ...(html ? { parse_mode: "HTML" as const } : {}),
        ...(first && address.replyTo ? { reply_parameters: { message_id: Number(address.replyTo), allow_sending_without_reply: true } } : {}),
        ...(address.threadId ? { message_thread_id: Number(address.threadId) } : {}),
        link_preview_options: { is_disabled: true },
      }),
    );
    return String(sent.message_id);
  };
  return {
    platform: "telegram",
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
      // a fresh InputFile per attempt: its bytes are consumed by the upload
      const file = () => new InputFile(bytes, a.name);
      const sent = await withTelegramRetry<{ message_id: number }>(() => {
        if (a.kind === "image" && a.bytes <= TELEGRAM_MAX_PHOTO_BYTES) return api.sendPhoto(address.chatId, file(), other);
        if (a.kind === "voice") return api.sendVoice(address.chatId, file(), other);
        if (a.kind === "audio") return api.sendAudio(address.chatId, file(), other);
        if (a.kind === "video") return api.sendVideo(address.chatId, file(), other);
        return api.sendDocument(address.chatId, file(), other);
      });
      return String(sent.message_id);
    },
    isPermanent: isPermanentTelegramError,
    sendTyping: (msg) => api.sendChatAction(msg.chatId, "typing", msg.topicId !== undefined ? { message_thread_id: msg.topicId } : {}),
  };
}
