/**
 * The Telegram bridge's core (issue 6): long polling with grammY, messages forwarded to the agent through the
 * shared {@link BridgeRuntime}, the chat commands registered with `setMyCommands`, and polling kept alive through
 * 409 conflicts (another process polling the same bot) and network drops with backoff.
 */
import { Bot, GrammyError } from "grammy";
import { autoRetry } from "@grammyjs/auto-retry";
import type { AgentdClient } from "../../protocol/client.js";
import type { Endpoint } from "../../protocol/endpoint.js";
import { BridgeRuntime, type BridgeLogger } from "../common/bridge-runtime.js";
import { BridgeConfigError } from "../common/bridge-host.js";
import { Backoff, sleep, type BackoffOptions } from "../../protocol/backoff.js";
import { fetchBytes } from "../common/download.js";
import { telegramAdapter } from "./adapter.js";
import { toIncoming, type TelegramFileRef, type TelegramIncoming } from "./inbound.js";
import { answerButton } from "../common/approval-buttons.js";

/** The chat commands the daemon answers, as shown in Telegram's command menu (`setMyCommands`). */
export const TELEGRAM_COMMANDS = [
  { command: "new", description: "Start a new conversation" },
  { command: "sessions", description: "List your conversations" },
  { command: "switch", description: "Switch conversation: /switch N" },
  { command: "stop", description: "Stop the reply in progress" },
  { command: "model", description: "Show or change the model" },
  { command: "help", description: "What I can do" },
] as const;

/**
 * `@grammyjs/auto-retry` settings of the bridge: a 429's `retry_after` is waited out when at most 60 s, at most 3
 * times per call. Telegram's 5xx and network errors (`HttpError`) are passed on: polling restarts with its own
 * backoff, and a failed delivery is offered again by the daemon's outbox (which counts the attempts and tells the
 * chat when it gives up).
 */
export const TELEGRAM_RETRY = { maxDelaySeconds: 60, maxRetryAttempts: 3, rethrowInternalServerErrors: true, rethrowHttpErrors: true } as const;

/** What {@link runTelegramBridge} needs; everything platform-facing is injected so tests can use a stand-in. */
export interface TelegramBridgeDeps {
  /** A grammY bot created with the configured `client.apiRoot` (its transformers are kept). */
  bot: Bot;
  client: AgentdClient;
  logger: BridgeLogger;
  /** The daemon endpoint, for uploads. */
  endpoint?: () => Promise<Endpoint>;
  /** The Bot API root the bot uses (file downloads go to `<apiRoot>/file/...`); default https://api.telegram.org. */
  apiRoot?: string;
  /** Downloads a file by Telegram file id; default `getFile` then `GET <apiRoot>/file/bot<token>/<path>`. */
  downloadFile?: (ref: TelegramFileRef) => Promise<Uint8Array<ArrayBuffer>>;
  /** Delays between polling restarts after a 409 or a failed start; default 1 s doubling to 30 s. */
  retry?: BackoffOptions;
  /** Live replies: a streaming reply shows as one message edited in place (default true). */
  liveReplies?: boolean;
  /** Stops the bridge: polling ends, then the promise resolves. */
  signal: AbortSignal;
}

/**
 * Runs the Telegram bridge until `deps.signal` aborts. Each message is handled on its own (polling never waits
 * for a reply), so a slow run never holds up other chats; on stop, replies in progress get 2 s to go out.
 * Resolves after a clean stop; rejects with a {@link BridgeConfigError} when Telegram refuses the bot token (401).
 */
export async function runTelegramBridge(deps: TelegramBridgeDeps): Promise<void> {
  const { bot, client, logger, signal } = deps;
  const backoff = new Backoff({ initialMs: 1000, jitter: "equal", ...deps.retry });
  const apiRoot = (deps.apiRoot ?? "https://api.telegram.org").replace(/\/+$/, "");
  const runtime = new BridgeRuntime<TelegramIncoming>({
    client,
    adapter: telegramAdapter(bot.api, logger),
    logger,
    liveReplies: deps.liveReplies ?? true,
    ...(deps.endpoint ? { endpoint: deps.endpoint } : {}),
  });
  const download = deps.downloadFile ?? (async (ref: TelegramFileRef) => {
    const file = await bot.api.getFile(ref.fileId);
    if (!file.file_path) throw new Error("Telegram gave no file path");
    return fetchBytes(`${apiRoot}/file/bot${bot.token}/${file.file_path}`);
  });

  // updates whose message the agent has not stored yet: grammY's stop() confirms everything up to the update it is
  // handling, so that last getUpdates is moved back to the oldest of them (Telegram sends them again next time)
  const unaccepted = new Set<number>();
  let stopping = false;
  // rate limits: wait Telegram's `retry_after` (429, at most 60 s), 3 times at most
  // (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this); 5xx and network errors are
  // not retried here: polling has its own backoff, a failed delivery is offered again by the daemon's outbox. The
  // typing indicator is never retried (it is sent again in 4 s anyway).
  const retry = autoRetry(TELEGRAM_RETRY);
  bot.api.config.use((prev, method, payload, sig) => (method === "sendChatAction" ? prev(method, payload, sig) : retry(prev, method, payload, sig)));
  // a successful getUpdates means polling works: the next failure starts from the shortest delay again
  bot.api.config.use(async (prev, method, payload, sig) => {
    if (method === "getUpdates" && stopping && unaccepted.size > 0) {
      payload = { ...payload, offset: Math.min(...unaccepted) } as typeof payload;
    }
    const res = await prev(method, payload, sig);
    if (method === "getUpdates" && res.ok) backoff.reset();
    return res;
  });

  // the handler resolves once the agent has the message on disk: only then does grammY confirm the update to
  // Telegram (the offset of its next getUpdates), so a bridge killed before that gets the update again
  bot.on("message", async (ctx) => {
    const converted = toIncoming(ctx.message, { id: ctx.me.id, username: ctx.me.username });
    if (!converted) return;
    unaccepted.add(ctx.update.update_id);
    // false: the bridge stopped before the agent had it; it stays unconfirmed (Telegram sends it again)
    if (await runtime.receive(converted.msg, converted.files.map((ref) => ({ filename: ref.filename, mime: ref.mime, bytes: ref.bytes, fetch: () => download(ref) })))) {
      unaccepted.delete(ctx.update.update_id);
    }
  });
  // a pressed approval button (inline keyboard): the decision goes to the daemon over the protocol; the presser
  // sees the outcome (or who answered first) as the callback's toast
  bot.on("callback_query:data", async (ctx) => {
    const q = ctx.callbackQuery;
    const text = await answerButton(client, q.data, { platform: "telegram", userId: String(q.from.id), ...(q.from.username ? { userName: q.from.username } : {}) }, logger);
    await ctx.answerCallbackQuery({ text }).catch((err: unknown) => logger.warn({ err: (err as Error).message }, "could not answer the button press"));
    if (text.startsWith("Done") && q.message) await ctx.editMessageReplyMarkup({ reply_markup: { inline_keyboard: [] } }).catch(() => {});
  });
  runtime.start();
  bot.catch((err) => logger.error({ err: err.message }, "update handling failed"));

  let commandsRegistered = false;
  const onAbort = (): void => {
    stopping = true;
    // stop() sends its last getUpdates (offset moved back past unaccepted updates) before the handlers let go
    if (bot.isRunning()) void bot.stop().catch(() => {});
    runtime.abandonPending();
  };
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    while (!signal.aborted) {
      try {
        await bot.start({
          allowed_updates: ["message", "callback_query"],
          onStart: (me) => {
            logger.info({ bot: me.username }, "Telegram bridge polling");
            if (commandsRegistered) return;
            commandsRegistered = true;
            void bot.api.setMyCommands(TELEGRAM_COMMANDS).catch((err: unknown) => {
              logger.warn({ err: (err as Error).message }, "could not register the command menu");
            });
          },
        });
        if (signal.aborted) break;
        logger.warn({}, "polling ended unexpectedly; restarting");
        await sleep(backoff.next(), signal);
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof GrammyError && err.error_code === 401) {
          throw new BridgeConfigError("Telegram refused the bot token (401 Unauthorized): check channels.telegram.botToken", { cause: err });
        }
        const delayMs = backoff.next();
        const conflict = err instanceof GrammyError && err.error_code === 409;
        logger.warn(
          { err: (err as Error).message, delayMs },
          conflict ? "another process is polling this bot (409 conflict); retrying" : "Telegram unreachable; retrying",
        );
        await sleep(delayMs, signal);
      }
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
    stopping = true;
    // stop() confirms the last update with one more getUpdates: never wait long for it
    if (bot.isRunning()) await Promise.race([bot.stop().catch(() => {}), sleep(3_000)]);
    // deliveries already on their way get a short grace; the rest stay in the outbox (the client closes next)
    await runtime.idle(2_000);
  }
}
