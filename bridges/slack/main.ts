/**
 * Entry of the Slack bridge process (`agentd bridge slack DIR`, or `--url URL --token T` for an agent on another
 * machine). Setup (the app manifest, tokens, scopes): docs/bridges.md.
 */
import { z } from "zod";
import { BridgeConfigError, connectDaemon, createBridgeLogger, parseBridgeConfig, untilStopped, type BridgeOptions } from "../common/bridge-host.js";
import { runSlackBridge } from "./bridge.js";

/**
 * The bridge's part of `channels.slack`: `botToken` (`xoxb-…`; else `SLACK_BOT_TOKEN`), `appToken` (`xapp-…`, an
 * app-level token with `connections:write`; else `SLACK_APP_TOKEN`), `apiUrl` (the Web API root, default
 * https://slack.com/api/), `teamIds` (workspaces served; empty: any) and `groups` (read to know whether channel
 * messages that do not address the bot must be forwarded). Other keys belong to the daemon and are ignored here.
 */
export const SlackBridgeConfig = z.looseObject({
  botToken: z.string().min(1).optional(),
  appToken: z.string().min(1).optional(),
  apiUrl: z.url().optional(),
  teamIds: z.array(z.string()).default([]),
  groups: z.enum(["mention", "all", "off"]).default("mention"),
});

/**
 * Runs the Slack bridge until SIGINT/SIGTERM (or `opts.signal`). Resolves after a clean stop. Rejects with a
 * one-line {@link BridgeConfigError} (`exitCode` 78) when a token is missing, of the wrong kind, or refused by
 * Slack, or when the config is invalid.
 */
export async function runBridge(opts: BridgeOptions): Promise<void> {
  const cfg = parseBridgeConfig("slack", SlackBridgeConfig, opts.config);
  const botToken = cfg.botToken ?? process.env.SLACK_BOT_TOKEN;
  const appToken = cfg.appToken ?? process.env.SLACK_APP_TOKEN;
  if (!botToken) throw new BridgeConfigError("slack: no bot token: set channels.slack.botToken (xoxb-…) or SLACK_BOT_TOKEN");
  if (!appToken) throw new BridgeConfigError("slack: no app-level token: set channels.slack.appToken (xapp-…, scope connections:write) or SLACK_APP_TOKEN");
  if (!botToken.startsWith("xoxb-")) throw new BridgeConfigError("slack: channels.slack.botToken must be the bot token (xoxb-…, under OAuth & Permissions)");
  if (!appToken.startsWith("xapp-")) throw new BridgeConfigError("slack: channels.slack.appToken must be an app-level token (xapp-…, under Basic Information)");
  const logger = opts.logger ?? createBridgeLogger("slack", [botToken, appToken, opts.token]);
  const { client, endpoint } = connectDaemon(opts, "slack", logger);
  const stop = new AbortController();
  void untilStopped([opts.signal, stop.signal]).then(() => stop.abort());
  try {
    await runSlackBridge({
      botToken, appToken, teamIds: cfg.teamIds, groups: cfg.groups, client, logger, endpoint, signal: stop.signal,
      ...(cfg.apiUrl ? { apiUrl: cfg.apiUrl } : {}),
    });
  } finally {
    stop.abort();
    client.close();
  }
}
