/**
 * The Slack bridge's core (issue 16): Socket Mode (`@slack/socket-mode`, no public URL) for events, the Web API
 * (`@slack/web-api`) for replies, messages forwarded to the agent through the shared {@link BridgeRuntime}.
 * Forwarded: DMs; in channels an @mention (`app_mention`), every message in a thread the bot is part of, and with
 * `groups: all` every message; `/agentd …` in a DM as the chat command `!…`. The daemon applies access and the
 * group policy to what arrives; replies come from its outbox.
 */
import { SocketModeClient, LogLevel, type Logger as SlackLogger } from "@slack/socket-mode";
import { WebClient, type WebAPICallError } from "@slack/web-api";
import type { AgentdClient } from "../../protocol/client.js";
import type { Endpoint } from "../../protocol/endpoint.js";
import { BridgeRuntime, type BridgeLogger } from "../common/bridge-runtime.js";
import { BridgeConfigError } from "../common/bridge-host.js";
import { fetchBytes } from "../common/download.js";
import { sleep } from "../../protocol/backoff.js";
import { slackAdapter } from "./adapter.js";
import { isDirect, isFromPerson, mentionsBot, toIncoming, type SlackIncoming, type SlackMessageEvent } from "./inbound.js";

/** Web API errors that mean a token is wrong, not that Slack is briefly unavailable. */
const TOKEN_ERRORS = new Set(["invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "not_allowed_token_type", "missing_scope"]);

/** Most threads (and recent event ids) remembered; the oldest are forgotten first. */
const MAX_REMEMBERED = 5_000;

/** What {@link runSlackBridge} needs. */
export interface SlackBridgeDeps {
  /** The bot token (`xoxb-`): Web API calls and private file downloads. */
  botToken: string;
  /** The app-level token (`xapp-`, scope `connections:write`): only for `apps.connections.open`. */
  appToken: string;
  /** The Web API root; default https://slack.com/api/ (Socket Mode's URL comes from its `apps.connections.open`). */
  apiUrl?: string;
  /** Workspaces whose members are served; empty: any. */
  teamIds: readonly string[];
  /** The daemon's group policy: with `all`, channel messages that do not address the bot are forwarded too. */
  groups: "mention" | "all" | "off";
  /** The daemon connection (see `connectDaemon`). */
  client: AgentdClient;
  logger: BridgeLogger;
  /** The daemon endpoint, for uploads of the files people send. */
  endpoint?: () => Promise<Endpoint>;
  /** Stops the bridge: deliveries in progress get 2 s, then Socket Mode closes and the promise resolves. */
  signal: AbortSignal;
}

/** The fields of a Socket Mode `slash_commands` payload the bridge reads (https://docs.slack.dev/interactivity/implementing-slash-commands). */
interface SlackSlashCommand {
  command: string;
  text?: string;
  user_id: string;
  channel_id: string;
  team_id?: string;
  trigger_id: string;
}

/** The answer, shown only to the user, to `/agentd` typed outside a DM. */
export const SLASH_IN_CHANNEL = "In a channel every thread is its own conversation: write !new, !sessions or !help in the thread and mention me.";

/** A bounded insertion-ordered map (oldest entries dropped first). */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_REMEMBERED) map.delete(map.keys().next().value!);
}

/** The Slack SDKs' logger on the bridge's pino logger (their info lines are debug here; errors they retry are warnings). */
function slackLogger(log: BridgeLogger): SlackLogger {
  const line = (parts: unknown[]) => parts.map(String).join(" ");
  return {
    debug: (...m) => log.debug({}, line(m)),
    info: (...m) => log.debug({}, line(m)),
    warn: (...m) => log.warn({}, line(m)),
    error: (...m) => log.warn({}, line(m)),
    setLevel: () => {},
    getLevel: () => LogLevel.INFO,
    setName: () => {},
  };
}

/** Turns a Slack token refusal into a {@link BridgeConfigError} saying which token to fix; other errors pass. */
function tokenError(err: unknown, which: "botToken" | "appToken"): Error {
  const code = (err as WebAPICallError & { data?: { error?: string } }).data?.error;
  if (code && TOKEN_ERRORS.has(code)) {
    return new BridgeConfigError(`Slack refused channels.slack.${which} (${code}): check the token and the app's scopes in docs/bridges.md`, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Runs the Slack bridge until `deps.signal` aborts: checks the bot token (`auth.test`), opens Socket Mode,
 * acknowledges each envelope once the agent has its message on disk, and sends what the outbox offers for Slack.
 * Resolves after a clean stop; rejects with a {@link BridgeConfigError} when Slack refuses a token.
 */
export async function runSlackBridge(deps: SlackBridgeDeps): Promise<void> {
  const { client, logger, signal } = deps;
  const sdkLogger = slackLogger(logger);
  const slackApiUrl = deps.apiUrl ?? "https://slack.com/api/";
  const web = new WebClient(deps.botToken, { slackApiUrl, logger: sdkLogger, retryConfig: { retries: 5, factor: 2, minTimeout: 500 } });
  const socket = new SocketModeClient({ appToken: deps.appToken, logger: sdkLogger, clientOptions: { slackApiUrl } });
  const me = await web.auth.test().catch((err: unknown) => Promise.reject(tokenError(err, "botToken")));
  const botUserId = String(me.user_id);
  let stopping = false;
  const threads = new Map<string, boolean>(); // `channel:thread_ts` → the bot is part of that thread
  const taken = new Map<string, Promise<void>>(); // `channel:ts` → on the agent's disk: Slack may deliver one twice
  const runtime = new BridgeRuntime<SlackIncoming>({
    client, logger, ...(deps.endpoint ? { endpoint: deps.endpoint } : {}),
    adapter: slackAdapter(web, { onPosted: (ch, ts) => remember(threads, `${ch}:${ts}`, true) }),
  });

  /** Whether the bot wrote in, or was mentioned in, the thread (asked from `conversations.replies` once, then remembered). */
  const inBotThread = async (channel: string, threadTs: string): Promise<boolean> => {
    const known = threads.get(`${channel}:${threadTs}`);
    if (known !== undefined) return known;
    let part = false;
    try {
      const res = await web.conversations.replies({ channel, ts: threadTs, limit: 200 });
      part = (res.messages ?? []).some((m) => m.user === botUserId || (!!me.bot_id && m.bot_id === me.bot_id) || mentionsBot(m.text, botUserId));
    } catch (err) {
      logger.debug({ err: (err as Error).message }, "could not read a thread's replies");
    }
    remember(threads, `${channel}:${threadTs}`, part);
    return part;
  };

  /** Hands a message to the agent once (a repeat gets the first one's promise); resolves once it is on the agent's disk. */
  const forward = (ev: SlackMessageEvent, mentioned: boolean): Promise<void> => {
    const key = `${ev.channel}:${ev.ts}`;
    const known = taken.get(key);
    if (known) return known;
    const converted = toIncoming(ev, botUserId, mentioned);
    if (!converted) return Promise.resolve();
    const headers = { authorization: `Bearer ${deps.botToken}` };
    // false (not on disk) only when the bridge stops first; the listener then acknowledges nothing anyway
    const onDisk = runtime.receive(converted.msg, converted.files.map((f) => ({ filename: f.filename, mime: f.mime, bytes: f.bytes, fetch: () => fetchBytes(f.url, { headers }) }))).then(() => undefined);
    remember(taken, key, onDisk);
    return onDisk;
  };

  /** Forwards what the agent is to see; resolves once that is on its disk (at once for events the bridge drops). */
  const onEvent = async (ev: SlackMessageEvent, teamId: string | undefined): Promise<void> => {
    if (!isFromPerson(ev, botUserId)) return;
    const team = ev.user_team ?? ev.team ?? teamId;
    if (deps.teamIds.length > 0 && !(team && deps.teamIds.includes(team))) {
      logger.info({ team, userId: ev.user }, "ignored a message from a workspace not in channels.slack.teamIds");
      return;
    }
    if (ev.type === "app_mention") {
      remember(threads, `${ev.channel}:${ev.thread_ts ?? ev.ts}`, true);
      return forward(ev, true);
    }
    if (isDirect(ev)) return forward(ev, false);
    if (mentionsBot(ev.text, botUserId)) return; // its app_mention event carries it
    if (ev.thread_ts && (await inBotThread(ev.channel, ev.thread_ts))) return forward(ev, true);
    if (deps.groups === "all") await forward(ev, false);
  };

  /**
   * `/agentd new|sessions|switch N|stop|model|help` (the optional slash command): in a DM, the same as `!new`…;
   * elsewhere Slack cannot say which thread it was typed in, so the answer (shown only to the user) says to use
   * `!new` in the thread.
   */
  const onSlashCommand = (cmd: SlackSlashCommand): Promise<{ text: string } | undefined> => {
    if (!cmd.channel_id.startsWith("D")) return Promise.resolve({ text: SLASH_IN_CHANNEL });
    const text = `!${(cmd.text ?? "").trim() || "help"}`;
    return onEvent({ type: "message", channel: cmd.channel_id, channel_type: "im", user: cmd.user_id, text, ts: cmd.trigger_id, team: cmd.team_id }, cmd.team_id).then(() => undefined);
  };

  // Slack sends an envelope again when it is not acknowledged within 3 s (up to 3 times over a few minutes). A message
  // is acknowledged once the agent has it on disk, so one the bridge or the daemon dies with comes back; every other
  // envelope (events the bridge does not use, interactions) at once.
  const listener = (args: { ack: (payload?: { text: string }) => Promise<void>; type: string; body?: { team_id?: string; event?: SlackMessageEvent } & Partial<SlackSlashCommand> }): void => {
    if (stopping) return;
    const body = args.body;
    const ev = args.type === "events_api" ? body?.event : undefined;
    const handled: Promise<{ text: string } | undefined | void> =
      ev && (ev.type === "message" || ev.type === "app_mention") ? onEvent(ev, body?.team_id)
      : args.type === "slash_commands" && body?.channel_id && body.user_id && body.trigger_id ? onSlashCommand(body as SlackSlashCommand)
      : Promise.resolve();
    void handled
      .catch((err: unknown) => logger.error({ err: (err as Error).message }, "could not handle a Slack event"))
      .then((reply) => (stopping ? undefined : args.ack(reply ?? undefined)))
      .catch((err: unknown) => logger.warn({ err: (err as Error).message }, "could not acknowledge a Slack event"));
  };
  socket.on("slack_event", listener);
  runtime.start();
  socket.on("connected", () => logger.info({ bot: me.user, team: me.team }, "Slack bridge connected"));
  socket.on("reconnecting", () => logger.info({}, "Slack Socket Mode reconnecting"));

  const stopped = new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
  try {
    await Promise.race([socket.start().catch((err: unknown) => Promise.reject(tokenError(err, "appToken"))), stopped]);
    await stopped;
  } finally {
    stopping = true;
    socket.off("slack_event", listener);
    await runtime.idle(2_000);
    await Promise.race([socket.disconnect().catch(() => {}), sleep(2_000)]);
  }
}
