/**
 * Entry of the Telegram bridge process (`agentd bridge telegram DIR`, or `--url URL --token T` for an agent on
 * another machine). Setup: docs/bridges.md.
 */
import { Bot, type Transformer } from "grammy";
import { z } from "zod";
import type { BackoffOptions } from "../../protocol/backoff.js";
import { BridgeConfigError, connectDaemon, createBridgeLogger, parseBridgeConfig, untilStopped, type BridgeOptions } from "../common/bridge-host.js";
import type { TelegramFileRef } from "./inbound.js";
import { runTelegramBridge } from "./bridge.js";

/**
 * The bridge's part of `channels.telegram`: `botToken` (from @BotFather; else the `TELEGRAM_BOT_TOKEN`
 * environment variable) and `apiRoot`, the Bot API server (default https://api.telegram.org; set it when you run
 * your own Bot API server), and `liveReplies` (default true: a long reply shows as one message edited as it streams).
 * Other keys (access policy) belong to the daemon and are ignored here.
 */
export const TelegramBridgeConfig = z.looseObject({
  botToken: z.string().min(1).optional(),
  apiRoot: z.url().optional(),
  liveReplies: z.boolean().optional(),
});

/** Options of {@link runBridge}: {@link BridgeOptions} plus hooks for tests and embedding. */
export interface TelegramBridgeOptions extends BridgeOptions {
  /** grammY API transformers installed before polling starts (tests: pause on empty `getUpdates`). */
  apiTransformers?: Transformer[];
  /** Replaces the file download (tests: the stand-in has no file storage). */
  downloadFile?: (ref: TelegramFileRef) => Promise<Uint8Array<ArrayBuffer>>;
  /** Polling restart delays after a 409 or a failed start; default 1 s doubling to 30 s. */
  retry?: BackoffOptions;
}

/**
 * Runs the Telegram bridge until SIGINT/SIGTERM (or `opts.signal`): long polling, every message forwarded to the
 * agent, replies in Telegram HTML. Resolves after a clean stop. Rejects with a one-line {@link BridgeConfigError}
 * (`exitCode` 78) when the bot token is missing or refused (401), or when the config is invalid.
 */
export async function runBridge(opts: TelegramBridgeOptions): Promise<void> {
  const cfg = parseBridgeConfig("telegram", TelegramBridgeConfig, opts.config);
  const token = cfg.botToken ?? process.env.TELEGRAM_BOT_TOKEN;
  if (!token) throw new BridgeConfigError("telegram: no bot token: set channels.telegram.botToken (from @BotFather) or TELEGRAM_BOT_TOKEN");
  const logger = opts.logger ?? createBridgeLogger("telegram", [token, opts.token]);
  const bot = new Bot(token, cfg.apiRoot ? { client: { apiRoot: cfg.apiRoot } } : {});
  for (const t of opts.apiTransformers ?? []) bot.api.config.use(t);
  const { client, endpoint } = connectDaemon(opts, "telegram", logger);
  const stop = new AbortController();
  void untilStopped([opts.signal, stop.signal]).then(() => stop.abort());
  try {
    await runTelegramBridge({
      bot, client, logger, endpoint, signal: stop.signal, liveReplies: cfg.liveReplies ?? true,
      ...(cfg.apiRoot ? { apiRoot: cfg.apiRoot } : {}),
      ...(opts.downloadFile ? { downloadFile: opts.downloadFile } : {}),
      ...(opts.retry ? { retry: opts.retry } : {}),
    });
  } finally {
    stop.abort();
    client.close();
  }
}
