/**
 * The Discord bridge's core (issue 6): a discord.js client on the gateway, DMs and guild channels (threads
 * included) forwarded to the agent through the shared {@link BridgeRuntime}; the daemon applies the group policy
 * (guild messages without a mention are not answered). Gateway drops are resumed by discord.js itself.
 */
import { Client, Events, GatewayIntentBits, Partials, type Interaction, type Message } from "discord.js";
import type { AgentdClient } from "../../protocol/client.js";
import type { Endpoint } from "../../protocol/endpoint.js";
import { BridgeRuntime, type BridgeLogger } from "../common/bridge-runtime.js";
import { BridgeConfigError } from "../common/bridge-host.js";
import { fetchBytes } from "../common/download.js";
import { discordAdapter } from "./adapter.js";
import { toIncoming, type DiscordIncoming } from "./inbound.js";
import { answerButton } from "../common/approval-buttons.js";

/**
 * Creates the discord.js client a bridge needs: intents `Guilds`, `GuildMessages`, `DirectMessages` and the
 * privileged `MessageContent` (without it guild messages arrive with empty text; enable it in the Developer
 * Portal), `Partials.Channel` (Discord never announces DM channels: without the partial DMs are dropped), and the
 * REST base `apiBase` (default https://discord.com/api; the gateway URL is then asked from it).
 */
export function createDiscordClient(apiBase?: string): Client {
  return new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.DirectMessages, GatewayIntentBits.MessageContent],
    partials: [Partials.Channel],
    ...(apiBase ? { rest: { api: apiBase } } : {}),
  });
}

/** What {@link runDiscordBridge} needs; the discord.js client is injected so tests can point it at a stand-in. */
export interface DiscordBridgeDeps {
  discord: Client;
  botToken: string;
  client: AgentdClient;
  logger: BridgeLogger;
  endpoint?: () => Promise<Endpoint>;
  /** Live replies: a streaming reply shows as one message edited in place (default true). */
  liveReplies?: boolean;
  /** Stops the bridge: the gateway connection closes, then the promise resolves. */
  signal: AbortSignal;
}

/** Turns a discord.js login failure into one line that says what to do. */
function loginError(err: unknown): Error {
  const text = err instanceof Error ? err.message : String(err);
  if (/disallowed intents/i.test(text)) {
    return new BridgeConfigError("Discord refused the Message Content intent: enable it under Bot → Privileged Gateway Intents in the Developer Portal", { cause: err });
  }
  if (/invalid token|TokenInvalid|401/i.test(text) || (err as { code?: string }).code === "TokenInvalid") {
    return new BridgeConfigError("Discord refused the bot token: check channels.discord.botToken", { cause: err });
  }
  return new Error(`Discord login failed: ${text}`, { cause: err });
}

/**
 * Runs the Discord bridge until `deps.signal` aborts: logs in, answers DMs and guild messages (each handled on its
 * own), and destroys the client at the end. Rejects with a one-line `Error` when Discord refuses the token or the
 * Message Content intent, at login or later.
 */
export async function runDiscordBridge(deps: DiscordBridgeDeps): Promise<void> {
  const { discord, client, logger, signal } = deps;
  const runtime = new BridgeRuntime<DiscordIncoming>({
    client, adapter: discordAdapter(discord), logger, liveReplies: deps.liveReplies ?? true,
    ...(deps.endpoint ? { endpoint: deps.endpoint } : {}),
  });
  const onMessage = (message: Message): void => {
    const botId = discord.user?.id;
    if (!botId) return;
    const converted = toIncoming(message, botId);
    if (!converted) return;
    void runtime.receive(converted.msg, converted.files.map((f) => ({ filename: f.filename, mime: f.mime, bytes: f.bytes, fetch: () => fetchBytes(f.url) })));
  };

  let fatal: ((err: Error) => void) | undefined;
  const failed = new Promise<never>((_, reject) => (fatal = reject));
  failed.catch(() => {});
  // a pressed approval button: the decision goes to the daemon as the Discord user who pressed it; they see the
  // outcome as an ephemeral reply (flag 64), https://discord.com/developers/docs/interactions/receiving-and-responding
  const onInteraction = (interaction: Interaction): void => {
    if (!interaction.isButton()) return;
    void answerButton(client, interaction.customId, { platform: "discord", userId: interaction.user.id, userName: interaction.user.username }, logger)
      .then((text) => interaction.reply({ content: text, flags: 64 }))
      .catch((err: unknown) => logger.warn({ err: (err as Error).message }, "could not answer the button press"));
  };
  discord.on(Events.MessageCreate, onMessage);
  discord.on(Events.InteractionCreate, onInteraction);
  runtime.start();
  discord.on(Events.ClientReady, (c) => logger.info({ bot: c.user.username }, "Discord bridge connected"));
  discord.on(Events.ShardDisconnect, (ev) => {
    logger.warn({ code: ev.code }, "Discord gateway closed");
    if (ev.code === 4014 || ev.code === 4004) fatal?.(loginError(new Error(ev.code === 4014 ? "Used disallowed intents" : "TokenInvalid")));
  });
  discord.on(Events.ShardReconnecting, () => logger.info("Discord gateway reconnecting"));
  discord.on(Events.Error, (err) => {
    logger.error({ err: err.message }, "Discord client error");
    if (/disallowed intents/i.test(err.message)) fatal?.(loginError(err));
  });

  const stopped = new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
  try {
    await Promise.race([discord.login(deps.botToken).catch((err: unknown) => Promise.reject(loginError(err))), stopped]);
    await Promise.race([stopped, failed]);
  } finally {
    discord.off(Events.MessageCreate, onMessage);
    discord.off(Events.InteractionCreate, onInteraction);
    await runtime.idle(2_000);
    await discord.destroy();
  }
}
