/**
 * A local fake of Discord's gateway and REST API for bridge tests (test fixture, not product code): one
 * `node:http` server plus a `ws` WebSocketServer on the same loopback port (see /work/shared/TESTING.md).
 * Shapes follow the Discord API v10 docs (https://discord.com/developers/docs/topics/gateway-events) and
 * discord-api-types; enough for discord.js 14 to log in, receive messages and reply.
 *
 * What a bridge must enable to see DMs: intents `Guilds`, `GuildMessages`, `DirectMessages`, `MessageContent`
 * and `partials: [Partials.Channel]`. Discord never sends a CHANNEL_CREATE for a DM; discord.js builds the DM
 * channel from the MESSAGE_CREATE (`channel_type: 1` plus the author) only when the Channel partial is on,
 * otherwise it drops the message. The fake sends exactly what Discord sends, so a bridge that forgets the
 * partial fails here as it would in production.
 */
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";

/** A Discord user as the fake sends it (API `User` object, trimmed). */
export interface FakeDiscordUser {
  id: string;
  username: string;
}

/** A message the bot sent through `POST /channels/:id/messages` (edited with PATCH, deleted with DELETE). */
export interface SentDiscordMessage {
  /** The message id the fake gave it. */
  id: string;
  /** Channel the message was posted to. */
  channelId: string;
  /** The message content as the user sees it now (after the last edit). */
  content: string;
  /** Earlier contents, oldest first: what each edit replaced (`PATCH /channels/:id/messages/:id`). */
  edits: string[];
  /** Whether the bot deleted it (`DELETE /channels/:id/messages/:id`). */
  deleted: boolean;
  /** `message_reference.message_id` when the message was a reply. */
  messageReference?: string;
  /** The whole JSON body as received (allowed_mentions, embeds...). */
  body: Record<string, unknown>;
  /** `Date.now()` when received. */
  at: number;
}

/** Options of {@link FakeDiscord.pushMessage}. */
export interface PushMessageOptions {
  /** Target channel; default the guild text channel, or the DM channel when `guild` is false. */
  channelId?: string;
  /** Message text. With `mentionBot`, `<@botId> ` is prepended unless already present. */
  content: string;
  /** Author user id; default "1001". */
  authorId?: string;
  /** Author username; default "ann". */
  authorName?: string;
  /** Put the bot in `mentions` (and its `<@id>` in the content). Default false. */
  mentionBot?: boolean;
  /** Default true: a guild message (`guild_id`, `member`, `channel_type: 0`); false: a DM (`channel_type: 1`). */
  guild?: boolean;
}

/** A running fake Discord; see {@link startFakeDiscord}. */
export interface FakeDiscord {
  /** REST root to pass as discord.js `rest: { api }`, e.g. `http://127.0.0.1:PORT/api` (routes under `/v10`). */
  apiUrl: string;
  /** Gateway URL returned by `GET /gateway/bot`, e.g. `ws://127.0.0.1:PORT`. */
  gatewayUrl: string;
  /** The bot's own user (READY's `user`). */
  botUser: FakeDiscordUser;
  /** The one guild, its one text channel ("general"), and the DM channel between the bot and the default author. */
  guildId: string;
  channelId: string;
  dmChannelId: string;
  /** Messages the bot posted, in arrival order. */
  sent: SentDiscordMessage[];
  /** Channel ids of `POST /channels/:id/typing` calls, in arrival order. */
  typing: string[];
  /** Dispatches a MESSAGE_CREATE from a user to every identified gateway connection; returns the message id. */
  pushMessage(opts: PushMessageOptions): string;
  /** Resolves with the first `n` sent messages once that many arrived; rejects after `timeoutMs` (default 5000). */
  waitForSent(n: number, timeoutMs?: number): Promise<SentDiscordMessage[]>;
  /** Closes every gateway connection with `code` (default 4000, resumable), to test reconnects. */
  dropConnections(code?: number): void;
  /** Closes all connections and the server. */
  close(): Promise<void>;
}

const DISCORD_EPOCH_MS = 1_420_070_400_000n;
let increment = 0n;
/** A fresh snowflake id for the current time (https://discord.com/developers/docs/reference#snowflakes). */
function snowflake(): string {
  increment = (increment + 1n) & 0xfffn;
  return ((BigInt(Date.now()) - DISCORD_EPOCH_MS) << 22n | increment).toString();
}

function apiUser(u: FakeDiscordUser, bot = false): Record<string, unknown> {
  return { id: u.id, username: u.username, discriminator: "0", global_name: u.username, avatar: null, bot, flags: 0 };
}

function json(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) res.writeHead(status).end();
  else res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  try {
    return JSON.parse(Buffer.concat(parts).toString("utf8") || "{}") as Record<string, unknown>;
  } catch {
    return {};
  }
}

/**
 * Starts a fake Discord on an ephemeral loopback port.
 *
 * Gateway: HELLO (op 10) on connect; heartbeat (op 1) → ACK (op 11); IDENTIFY (op 2) → READY (user,
 * session_id, resume_gateway_url, application, the guild as unavailable) then GUILD_CREATE (the guild with one
 * text channel and the bot as a member); RESUME (op 6) → RESUMED. Each message the bot posts is echoed back
 * as a MESSAGE_CREATE, as Discord does (a bridge must ignore its own messages).
 * REST (`/api/v10`): `GET /gateway/bot`, `GET /users/@me`, `GET /channels/:id`, `POST /channels/:id/messages`
 * (recorded in `sent`, answered with a message object), `PATCH /channels/:id/messages/:id` (edit-message: the
 * `content` replaced, the old one kept in `edits`, answered with the message; 404 code 10008 for an unknown
 * message), `DELETE /channels/:id/messages/:id` (204, marked `deleted`), `POST /channels/:id/typing` (204,
 * recorded in `typing`); anything else 404 `{ message: "Unknown route", code: 0 }`.
 */
export async function startFakeDiscord(): Promise<FakeDiscord> {
  const botUser: FakeDiscordUser = { id: "900000000000000001", username: "agentd-bot" };
  const guildId = "910000000000000001";
  const channelId = "920000000000000001";
  const dmChannelId = "930000000000000001";
  const defaultAuthor: FakeDiscordUser = { id: "1001", username: "ann" };
  const sent: SentDiscordMessage[] = [];
  const typing: string[] = [];
  const waiters = new Set<() => void>();
  const sessions = new Map<WebSocket, { seq: number; identified: boolean }>();

  const channelObject = (id: string): Record<string, unknown> | undefined => {
    if (id === channelId) {
      return {
        id, type: 0, guild_id: guildId, name: "general", position: 0, permission_overwrites: [],
        parent_id: null, topic: null, nsfw: false, rate_limit_per_user: 0, last_message_id: null, flags: 0,
      };
    }
    if (id === dmChannelId) return { id, type: 1, recipients: [apiUser(defaultAuthor)], last_message_id: null, flags: 0 };
    return undefined;
  };

  const send = (ws: WebSocket, payload: Record<string, unknown>): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(payload));
  };
  const dispatch = (ws: WebSocket, t: string, d: unknown): void => {
    const session = sessions.get(ws);
    if (!session) return;
    session.seq += 1;
    send(ws, { op: 0, t, s: session.seq, d });
  };
  const broadcast = (t: string, d: unknown): void => {
    for (const [ws, session] of sessions) if (session.identified) dispatch(ws, t, d);
  };

  // The fields discord.js reads when building a Guild (the rest of Discord's guild object is optional to it).
  const guildCreate = (): Record<string, unknown> => ({
    id: guildId, name: "Fake Guild", icon: null, owner_id: defaultAuthor.id, verification_level: 0,
    default_message_notifications: 0, explicit_content_filter: 0, mfa_level: 0, premium_tier: 0, nsfw_level: 0,
    preferred_locale: "en-US", features: [], emojis: [], stickers: [], large: false, unavailable: false,
    member_count: 2, joined_at: new Date().toISOString(),
    roles: [{ id: guildId, name: "@everyone", permissions: "1024", position: 0, color: 0, hoist: false, managed: false, mentionable: false, flags: 0 }],
    members: [{ user: apiUser(botUser, true), roles: [], joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0 }],
    channels: [channelObject(channelId)], threads: [], presences: [], voice_states: [], stage_instances: [],
    guild_scheduled_events: [],
  });

  const server = createServer((req, res) => {
    void route(req, res).catch((err: unknown) => json(res, 500, { message: String(err), code: 0 }));
  });
  const wss = new WebSocketServer({ server });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const gatewayUrl = `ws://127.0.0.1:${port}`;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0]!.replace(/\/+$/, "");
    const method = req.method ?? "GET";
    let m: RegExpExecArray | null;
    if (method === "GET" && path === "/api/v10/gateway/bot") {
      return json(res, 200, {
        url: gatewayUrl, shards: 1,
        session_start_limit: { total: 1000, remaining: 1000, reset_after: 0, max_concurrency: 1 },
      });
    }
    if (method === "GET" && path === "/api/v10/users/@me") return json(res, 200, apiUser(botUser, true));
    if (method === "GET" && (m = /^\/api\/v10\/channels\/(\d+)$/.exec(path))) {
      const channel = channelObject(m[1]!);
      return channel ? json(res, 200, channel) : json(res, 404, { message: "Unknown Channel", code: 10003 });
    }
    if (method === "POST" && (m = /^\/api\/v10\/channels\/(\d+)\/typing$/.exec(path))) {
      typing.push(m[1]!);
      return json(res, 204);
    }
    if (method === "POST" && (m = /^\/api\/v10\/channels\/(\d+)\/messages$/.exec(path))) {
      const body = await readJson(req);
      const target = m[1]!;
      const ref = body.message_reference as { message_id?: string } | undefined;
      const record: SentDiscordMessage = { id: snowflake(), channelId: target, content: String(body.content ?? ""), edits: [], deleted: false, body, at: Date.now() };
      if (ref?.message_id) record.messageReference = ref.message_id;
      sent.push(record);
      for (const wake of waiters) wake();
      const message = {
        id: record.id, channel_id: target, ...(target === channelId && { guild_id: guildId }),
        author: apiUser(botUser, true), content: record.content, timestamp: new Date().toISOString(),
        edited_timestamp: null, tts: false, mention_everyone: false, mentions: [], mention_roles: [], attachments: [],
        embeds: [], pinned: false, type: ref?.message_id ? 19 : 0, flags: 0,
        ...(ref?.message_id && { message_reference: { type: 0, message_id: ref.message_id, channel_id: target } }),
      };
      json(res, 200, message);
      broadcast("MESSAGE_CREATE", { ...message, channel_type: target === channelId ? 0 : 1 });
      return;
    }
    if ((method === "PATCH" || method === "DELETE") && (m = /^\/api\/v10\/channels\/(\d+)\/messages\/(\d+)$/.exec(path))) {
      const record = sent.find((r) => r.channelId === m![1] && r.id === m![2] && !r.deleted);
      if (!record) return json(res, 404, { message: "Unknown Message", code: 10008 });
      if (method === "DELETE") {
        record.deleted = true;
        for (const wake of waiters) wake();
        return json(res, 204);
      }
      const body = await readJson(req);
      if (typeof body.content === "string") {
        record.edits.push(record.content);
        record.content = body.content;
      }
      for (const wake of waiters) wake();
      return json(res, 200, {
        id: record.id, channel_id: record.channelId, author: apiUser(botUser, true), content: record.content,
        timestamp: new Date(record.at).toISOString(), edited_timestamp: new Date().toISOString(), tts: false,
        mention_everyone: false, mentions: [], mention_roles: [], attachments: [], embeds: [], pinned: false, type: 0, flags: 0,
      });
    }
    json(res, 404, { message: "Unknown route", code: 0 });
  }

  wss.on("connection", (ws) => {
    sessions.set(ws, { seq: 0, identified: false });
    send(ws, { op: 10, d: { heartbeat_interval: 41_250 } });
    ws.on("close", () => sessions.delete(ws));
    ws.on("message", (raw) => {
      let frame: { op?: number; d?: unknown };
      try {
        frame = JSON.parse(String(raw)) as { op?: number; d?: unknown };
      } catch {
        return;
      }
      const session = sessions.get(ws);
      if (!session) return;
      if (frame.op === 1) send(ws, { op: 11 });
      else if (frame.op === 2) {
        session.identified = true;
        dispatch(ws, "READY", {
          v: 10, user: apiUser(botUser, true), guilds: [{ id: guildId, unavailable: true }],
          session_id: `fake-session-${snowflake()}`, resume_gateway_url: gatewayUrl, shard: [0, 1],
          application: { id: botUser.id, flags: 0 }, private_channels: [], presences: [], relationships: [],
          user_settings: {}, geo_ordered_rtc_regions: [], guild_join_requests: [], auth: {},
        });
        dispatch(ws, "GUILD_CREATE", guildCreate());
      } else if (frame.op === 6) {
        session.identified = true;
        session.seq = (frame.d as { seq?: number } | undefined)?.seq ?? session.seq;
        dispatch(ws, "RESUMED", {});
      }
    });
  });

  return {
    apiUrl: `http://127.0.0.1:${port}/api`,
    gatewayUrl, botUser, guildId, channelId, dmChannelId, sent, typing,
    pushMessage(opts) {
      const guild = opts.guild ?? true;
      const target = opts.channelId ?? (guild ? channelId : dmChannelId);
      const author: FakeDiscordUser = { id: opts.authorId ?? defaultAuthor.id, username: opts.authorName ?? defaultAuthor.username };
      const mention = `<@${botUser.id}>`;
      const content = opts.mentionBot && !opts.content.includes(mention) ? `${mention} ${opts.content}` : opts.content;
      const id = snowflake();
      broadcast("MESSAGE_CREATE", {
        id, channel_id: target, channel_type: guild ? 0 : 1, author: apiUser(author), content,
        timestamp: new Date().toISOString(), edited_timestamp: null, tts: false, mention_everyone: false,
        mentions: opts.mentionBot ? [apiUser(botUser, true)] : [], mention_roles: [], attachments: [], embeds: [],
        pinned: false, type: 0, flags: 0,
        ...(guild && {
          guild_id: guildId,
          member: { roles: [], joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0 },
        }),
      });
      return id;
    },
    waitForSent(n, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          if (sent.length < n) return false;
          waiters.delete(wake);
          clearTimeout(timer);
          resolve(sent.slice(0, n));
          return true;
        };
        const wake = (): void => void check();
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(new Error(`fake-discord: expected ${n} sent messages, got ${sent.length} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(wake);
        check();
      });
    },
    dropConnections(code = 4000) {
      for (const ws of sessions.keys()) ws.close(code, "fake-discord drop");
    },
    async close() {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
