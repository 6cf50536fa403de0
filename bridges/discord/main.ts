/**
 * Entry of the Discord bridge process (`agentd bridge discord DIR`, or `--url URL --token T` for an agent on
 * another machine). Setup (application, bot token, Message Content intent, invite): docs/bridges.md.
 */
import { z } from "zod";
import type { Client } from "discord.js";
import { BridgeConfigError, connectDaemon, createBridgeLogger, parseBridgeConfig, untilStopped, type BridgeOptions } from "../common/bridge-host.js";
import { createDiscordClient, runDiscordBridge } from "./bridge.js";

/**
 * The bridge's part of `channels.discord`: `botToken` (Developer Portal → Bot; else the `DISCORD_BOT_TOKEN`
 * environment variable) and `apiBase`, the REST root (default https://discord.com/api; the gateway URL is asked
 * from it), and `liveReplies` (default true: a long reply shows as one message edited as it streams). Other keys (access policy) belong to the daemon and are ignored here.
 */
export const DiscordBridgeConfig = z.looseObject({
  botToken: z.string().min(1).optional(),
  apiBase: z.url().optional(),
  liveReplies: z.boolean().optional(),
});

/** Options of {@link runBridge}: {@link BridgeOptions} plus a client factory for tests and embedding. */
export interface DiscordBridgeOptions extends BridgeOptions {
  /** Creates the discord.js client; default {@link createDiscordClient} with the configured `apiBase`. */
  createClient?: (apiBase: string | undefined) => Client;
}

/**
 * Runs the Discord bridge until SIGINT/SIGTERM (or `opts.signal`). Resolves after a clean stop. Rejects with a
 * one-line {@link BridgeConfigError} (`exitCode` 78) when the token is missing or refused, the Message Content intent is not enabled, or the config
 * is invalid.
 */
export async function runBridge(opts: DiscordBridgeOptions): Promise<void> {
  const cfg = parseBridgeConfig("discord", DiscordBridgeConfig, opts.config);
  const botToken = cfg.botToken ?? process.env.DISCORD_BOT_TOKEN;
  if (!botToken) throw new BridgeConfigError("discord: no bot token: set channels.discord.botToken or DISCORD_BOT_TOKEN");
  const logger = opts.logger ?? createBridgeLogger("discord", [botToken, opts.token]);
  const discord = (opts.createClient ?? createDiscordClient)(cfg.apiBase);
  const { client, endpoint } = connectDaemon(opts, "discord", logger);
  const stop = new AbortController();
  void untilStopped([opts.signal, stop.signal]).then(() => stop.abort());
  try {
    await runDiscordBridge({ discord, botToken, client, logger, endpoint, signal: stop.signal, liveReplies: cfg.liveReplies ?? true });
  } finally {
    stop.abort();
    client.close();
  }
}
