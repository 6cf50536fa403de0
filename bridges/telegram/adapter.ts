/**
 * How the Telegram bridge talks back: replies in Telegram HTML split at 4096 characters (counted after entity
 * parsing, as Telegram counts), a plain-text resend when Telegram rejects the HTML, `sendChatAction typing`
 * every 4 s, and a wait-and-retry on 429 (`retry_after`) and on network errors.
 */
import { GrammyError, HttpError, type Api } from "grammy";
import type { PlatformAdapter, BridgeLogger } from "../common/bridge-runtime.js";
import { TELEGRAM_MAX_CHARS, formatTelegramChunks, telegramHtmlToPlain } from "../common/format-telegram.js";
import { splitMessage } from "../common/split-message.js";
import { TYPING_INTERVAL_MS } from "../common/typing-loop.js";
import { sleep } from "../common/backoff.js";
import type { TelegramIncoming } from "./inbound.js";

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
 * The Telegram {@link PlatformAdapter}: the first chunk replies to the user's message
 * (`reply_parameters`, sent even if that message was deleted), every chunk goes to the same forum topic, in
 * order. `isStopping()` true makes sending a no-op (the bridge is shutting down).
 */
export function telegramAdapter(api: Api, logger: BridgeLogger, isStopping: () => boolean = () => false): PlatformAdapter<TelegramIncoming> {
  const send = async (msg: TelegramIncoming, text: string, first: boolean, html: boolean): Promise<void> => {
    await withTelegramRetry(() =>
      api.sendMessage(msg.chatId, text, {
        ...(html ? { parse_mode: "HTML" as const } : {}),
        ...(first ? { reply_parameters: { message_id: msg.telegramMessageId, allow_sending_without_reply: true } } : {}),
        ...(msg.topicId !== undefined ? { message_thread_id: msg.topicId } : {}),
        link_preview_options: { is_disabled: true },
      }),
    );
  };
  return {
    platform: "telegram",
    typingIntervalMs: TYPING_INTERVAL_MS.telegram,
    format: (markdown) => formatTelegramChunks(markdown, TELEGRAM_MAX_CHARS, { measure: "text" }),
    async sendReply(msg, chunks) {
      let first = true;
      for (const chunk of chunks) {
        if (isStopping()) return;
        try {
          await send(msg, chunk, first, true);
        } catch (err) {
          if (!isEntityError(err)) throw err;
          logger.warn({ err: (err as Error).message }, "Telegram refused the HTML; sending plain text");
          for (const part of splitMessage(telegramHtmlToPlain(chunk), { maxChars: TELEGRAM_MAX_CHARS })) {
            await send(msg, part, first, false);
            first = false;
          }
        }
        first = false;
      }
    },
    sendTyping: (msg) => api.sendChatAction(msg.chatId, "typing", msg.topicId !== undefined ? { message_thread_id: msg.topicId } : {}),
  };
}
