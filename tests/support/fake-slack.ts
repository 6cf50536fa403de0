/**
 * A local fake of the Slack Web API methods and the Socket Mode WebSocket the Slack bridge uses (test fixture, not
 * product code; no Slack emulator exists). One `node:http` server plus a `ws` server on the same loopback port.
 *
 * Kept honest by Slack's documented shapes, checked on every call and recorded in `violations` (a test asserts
 * it stays empty):
 * - Web API (https://docs.slack.dev/apis/web-api): `POST /api/<method>`, token in `Authorization: Bearer`, body
 *   form-urlencoded (as `@slack/web-api` sends it) or JSON; answers `{ ok: true, ... }` or `{ ok: false, error }`.
 *   `apps.connections.open` takes only an app-level token (`xapp-`, else `not_allowed_token_type`), every other
 *   method only the bot token. `chat.postMessage` (https://docs.slack.dev/reference/methods/chat.postMessage):
 *   `channel` required, `text` a string, `thread_ts` a message ts, only documented arguments, booleans as
 *   `true`/`false`; text over 40,000 characters is `msg_too_long`.
 * - Socket Mode (https://docs.slack.dev/apis/events-api/using-socket-mode): `hello` on connect; each event in an
 *   `events_api` envelope; the app must answer `{ envelope_id, payload? }` within 3 s, otherwise the envelope is
 *   sent again with `retry_attempt` + 1 and `retry_reason: "timeout"`, up to 3 times, after 3, 10 and 30 s (Slack:
 *   at once, 1 and 5 minutes); while no connection is open it waits (tried every 3 s, no retry used up).
 * Each bot message is echoed back as a `message` event with `bot_id`, as Slack does (a bridge must ignore it).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";

/** One recorded Web API call: method, parsed arguments, token used, `Date.now()` when received. */
export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  token: string;
  at: number;
}

/** A message the bot posted with chat.postMessage. */
export interface SlackPost {
  channel: string;
  text: string;
  threadTs?: string;
  ts: string;
  args: Record<string, unknown>;
}

/** An envelope the fake sent and when (and whether) the app acknowledged it. */
export interface SlackEnvelope {
  envelopeId: string;
  /** `events_api` (then `event` is the Events API event) or `slash_commands` (then `event` is the command payload). */
  type: "events_api" | "slash_commands";
  event: Record<string, unknown>;
  sentAt: number;
  ackMs?: number;
  /** The `payload` of the acknowledgement, when it had one (a slash command's answer to the user). */
  ackPayload?: Record<string, unknown>;
  retries: number;
}

/** Options of {@link FakeSlack.pushMessage}. */
export interface PushOptions {
  text: string;
  /** Author; default "U0ANN". */
  user?: string;
  /** A DM with the bot (default) or a message in the channel `C0GENERAL`. */
  dm?: boolean;
  /** Reply in this thread (the parent's ts). */
  threadTs?: string;
  /** Prepends `<@bot>`; in a channel also sends the `app_mention` event, as Slack does for an app subscribed to both. */
  mention?: boolean;
  /** The author's workspace; default the fake's team. */
  team?: string;
  files?: Array<Record<string, unknown>>;
}

/** A running fake Slack; see {@link startFakeSlack}. */
export interface FakeSlack {
  /** Web API root to configure as `channels.slack.apiUrl`, e.g. `http://127.0.0.1:PORT/api/`. */
  apiUrl: string;
  /** The tokens the fake accepts. */
  botToken: string;
  appToken: string;
  teamId: string;
  botUserId: string;
  channelId: string;
  calls: SlackCall[];
  posts: SlackPost[];
  envelopes: SlackEnvelope[];
  /** Shape violations seen (Web API arguments, acknowledgements); should stay empty. */
  violations: string[];
  /** Number of Socket Mode connections opened so far, and open now. */
  connections(): { opened: number; open: number };
  /** Sends a user's message as Socket Mode events; returns its ts. */
  pushMessage(opts: PushOptions): string;
  /**
   * Asks every connection to reconnect, as Slack does regularly (`{ type: "disconnect", reason:
   * "refresh_requested" }`); events pushed meanwhile wait for their retry.
   */
  refresh(): void;
  /** Sends `/agentd <text>` as a Socket Mode `slash_commands` envelope (in the user's DM unless `channel`); returns its trigger_id. */
  pushSlashCommand(o: { text: string; user?: string; channel?: string; team?: string }): string;
  /** Sends any Events API event (e.g. `member_joined_channel`) in an envelope. */
  pushEvent(event: Record<string, unknown>): void;
  /** The DM channel id of a user. */
  dmOf(user: string): string;
  /** Serves `bytes` at a private file URL that needs the bot token; returns a Slack file object. */
  addFile(name: string, mimetype: string, bytes: Uint8Array): Record<string, unknown>;
  /** Resolves once `check()` is true (checked on every call and ack, and every 25 ms), rejects after `timeoutMs` (default 10 s). */
  until(check: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const POST_MESSAGE_ARGS = new Set(["channel", "text", "thread_ts", "unfurl_links", "unfurl_media", "mrkdwn", "reply_broadcast", "blocks", "attachments", "metadata", "parse", "link_names", "icon_emoji", "icon_url", "username"]);
const ACK_TIMEOUT_MS = 3_000;
/**
 * Waits before each of the 3 retries of an unacknowledged envelope: Slack retries at once (after the 3 s), after
 * 1 minute and after 5 minutes (https://docs.slack.dev/apis/events-api/#retries); the fake shortens the later two.
 */
const RETRY_DELAYS_MS = [ACK_TIMEOUT_MS, 10_000, 30_000];

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  const raw = Buffer.concat(parts).toString("utf8");
  if (!raw) return {};
  if ((req.headers["content-type"] ?? "").includes("application/json")) return JSON.parse(raw) as Record<string, unknown>;
  return Object.fromEntries(new URLSearchParams(raw));
}

/** Starts a fake Slack workspace (team `T0FAKE`, bot `U0BOT`, channel `C0GENERAL`) on an ephemeral loopback port. */
export async function startFakeSlack(): Promise<FakeSlack> {
  const botToken = "xoxb-1-fake-bot-token";
  const appToken = "xapp-1-fake-app-token";
  const teamId = "T0FAKE";
  const botUserId = "U0BOT";
  const botId = "B0BOT";
  const channelId = "C0GENERAL";
  const calls: SlackCall[] = [];
  const posts: SlackPost[] = [];
  const envelopes: SlackEnvelope[] = [];
  const violations: string[] = [];
  const messages: Array<{ channel: string; ts: string; thread_ts?: string; user?: string; bot_id?: string; text: string }> = [];
  const files = new Map<string, Uint8Array>();
  const reactions = new Set<string>();
  const sockets = new Set<WebSocket>();
  const waiters = new Set<() => void>();
  let opened = 0;
  let closed = false;
  let seq = 0;
  const wake = (): void => { for (const w of waiters) w(); };
  const newTs = (): string => `${Math.floor(Date.now() / 1000)}.${String(++seq).padStart(6, "0")}`;
  const dmOf = (user: string): string => `D${user.replace(/^U/, "")}`;
  const known = (ch: string): boolean => ch === channelId || ch.startsWith("D");

  const server = createServer((req, res) => void route(req, res).catch((err: unknown) => json(res, 500, { ok: false, error: String(err) })));
  const wss = new WebSocketServer({ server, path: "/link/" });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;

  function json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  }

  function sendEnvelope(env: SlackEnvelope): void {
    // to the newest connection; with none open it waits, without using up a retry (Slack's later retries, after
    // 1 and 5 minutes, reach an app that is back by then: the fake compresses that to 3 s steps)
    const target = [...sockets].at(-1);
    if (!target) {
      setTimeout(() => (closed || env.ackMs !== undefined ? undefined : sendEnvelope(env)), ACK_TIMEOUT_MS).unref();
      return;
    }
    if (env.type === "slash_commands") {
      // slash commands are never retried: the user sees "operation_timeout" instead
      return void target.send(JSON.stringify({ envelope_id: env.envelopeId, type: "slash_commands", accepts_response_payload: true, payload: env.event }));
    }
    target.send(JSON.stringify({
      envelope_id: env.envelopeId, type: "events_api", accepts_response_payload: false,
      retry_attempt: env.retries, retry_reason: env.retries ? "timeout" : "",
      payload: {
        token: "verification-token", team_id: teamId, api_app_id: "A0FAKE", type: "event_callback",
        event_id: `Ev${env.envelopeId}`, event_time: Math.floor(env.sentAt / 1000), event: env.event,
        authorizations: [{ team_id: teamId, user_id: botUserId, is_bot: true, is_enterprise_install: false }],
      },
    }));
    const delayMs = RETRY_DELAYS_MS[env.retries];
    if (delayMs === undefined) return; // retries used up: Slack drops the event
    const timer = setTimeout(() => {
      if (env.ackMs !== undefined || closed) return;
      env.retries++;
      sendEnvelope(env);
    }, delayMs);
    timer.unref();
  }

  function emit(event: Record<string, unknown>, type: SlackEnvelope["type"] = "events_api"): void {
    const env: SlackEnvelope = { envelopeId: `env-${++seq}`, type, event, sentAt: Date.now(), retries: 0 };
    envelopes.push(env);
    sendEnvelope(env);
  }

  function checkPostMessage(a: Record<string, unknown>): string | undefined {
    for (const k of Object.keys(a)) if (!POST_MESSAGE_ARGS.has(k)) violations.push(`chat.postMessage: undocumented argument ${k}`);
    if (typeof a.channel !== "string" || !a.channel) return "channel_not_found";
    if (typeof a.text !== "string" && a.blocks === undefined) violations.push("chat.postMessage: no text and no blocks");
    if (a.thread_ts !== undefined && !/^\d+\.\d+$/.test(String(a.thread_ts))) violations.push(`chat.postMessage: thread_ts ${String(a.thread_ts)} is not a message ts`);
    for (const k of ["unfurl_links", "unfurl_media", "mrkdwn", "reply_broadcast"]) {
      if (a[k] !== undefined && !["true", "false", true, false].includes(a[k] as string)) violations.push(`chat.postMessage: ${k} is not a boolean`);
    }
    if (!known(a.channel)) return "channel_not_found";
    if (String(a.text ?? "").length > 40_000) return "msg_too_long";
    return undefined;
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", base);
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
    const file = /^\/files\/([^/]+)\//.exec(url.pathname)?.[1];
    if (req.method === "GET" && file) {
      const bytes = files.get(file);
      if (auth !== botToken) return void res.writeHead(302, { location: `${base}/signin` }).end(); // Slack's answer without a token
      return void (bytes ? res.writeHead(200, { "content-length": bytes.length }).end(bytes) : res.writeHead(404).end());
    }
    const method = /^\/api\/([\w.]+)$/.exec(url.pathname)?.[1];
    if (req.method !== "POST" || !method) return json(res, 404, { ok: false, error: "unknown_method" });
    const args = await readBody(req);
    calls.push({ method, args, token: auth, at: Date.now() });
    wake();
    if (!auth) return json(res, 200, { ok: false, error: "not_authed" });
    if (method === "apps.connections.open") {
      if (auth.startsWith("xoxb-")) return json(res, 200, { ok: false, error: "not_allowed_token_type" });
      if (auth !== appToken) return json(res, 200, { ok: false, error: "invalid_auth" });
      return json(res, 200, { ok: true, url: `ws://127.0.0.1:${port}/link/?ticket=t${++seq}&app_id=A0FAKE` });
    }
    if (auth !== botToken) return json(res, 200, { ok: false, error: auth.startsWith("xapp-") ? "not_allowed_token_type" : "invalid_auth" });
    switch (method) {
      case "auth.test":
        return json(res, 200, { ok: true, url: "https://fake.slack.com/", team: "Fake Team", user: "agentd", team_id: teamId, user_id: botUserId, bot_id: botId, is_enterprise_install: false });
      case "chat.postMessage": {
        const error = checkPostMessage(args);
        if (error) return json(res, 200, { ok: false, error });
        const ts = newTs();
        const channel = String(args.channel);
        const threadTs = args.thread_ts === undefined ? undefined : String(args.thread_ts);
        const message = { type: "message", text: String(args.text ?? ""), user: botUserId, bot_id: botId, ts, ...(threadTs ? { thread_ts: threadTs } : {}), team: teamId };
        posts.push({ channel, text: message.text, ts, args, ...(threadTs ? { threadTs } : {}) });
        messages.push({ channel, ...message });
        json(res, 200, { ok: true, channel, ts, message });
        wake();
        emit({ ...message, channel, event_ts: ts, channel_type: channel.startsWith("D") ? "im" : "channel" });
        return;
      }
      case "reactions.add":
      case "reactions.remove": {
        const key = `${String(args.channel)}:${String(args.timestamp)}:${String(args.name)}`;
        if (!args.channel || !args.timestamp || !args.name) violations.push(`${method}: channel, timestamp and name are required`);
        if (method === "reactions.add" && reactions.has(key)) return json(res, 200, { ok: false, error: "already_reacted" });
        if (method === "reactions.remove" && !reactions.delete(key)) return json(res, 200, { ok: false, error: "no_reaction" });
        if (method === "reactions.add") reactions.add(key);
        return json(res, 200, { ok: true });
      }
      case "conversations.replies": {
        const ts = String(args.ts ?? "");
        const thread = messages.filter((m) => m.channel === args.channel && (m.ts === ts || m.thread_ts === ts));
        if (!thread.length) return json(res, 200, { ok: false, error: "thread_not_found" });
        return json(res, 200, { ok: true, messages: thread.map(({ channel: _c, ...m }) => ({ type: "message", ...m })), has_more: false });
      }
      default:
        return json(res, 200, { ok: false, error: "unknown_method" });
    }
  }

  wss.on("connection", (ws) => {
    opened++;
    sockets.add(ws);
    ws.on("close", () => sockets.delete(ws));
    ws.on("message", (raw) => {
      let frame: { envelope_id?: unknown; payload?: unknown };
      try {
        frame = JSON.parse(String(raw)) as typeof frame;
      } catch {
        return void violations.push(`socket: a frame that is not JSON: ${String(raw).slice(0, 80)}`);
      }
      const env = envelopes.find((e) => e.envelopeId === frame.envelope_id);
      if (!env) return void violations.push(`socket: acknowledged an unknown envelope ${String(frame.envelope_id)}`);
      if (frame.payload !== undefined && (typeof frame.payload !== "object" || frame.payload === null)) violations.push("socket: ack payload is not an object");
      const payload = frame.payload as Record<string, unknown> | undefined;
      if (payload && Object.keys(payload).length > 0) {
        if (env.type !== "slash_commands") violations.push("socket: an events_api ack carries a payload (accepts_response_payload is false)");
        else if (typeof payload.text !== "string" && !Array.isArray(payload.blocks)) violations.push("socket: a slash command answer without text or blocks");
        env.ackPayload = payload;
      }
      env.ackMs ??= Date.now() - env.sentAt;
      wake();
    });
    ws.send(JSON.stringify({ type: "hello", num_connections: sockets.size, debug_info: { host: "fake-slack", approximate_connection_time: 18060 }, connection_info: { app_id: "A0FAKE" } }));
    wake();
  });

  return {
    apiUrl: `${base}/api/`, botToken, appToken, teamId, botUserId, channelId, calls, posts, envelopes, violations, dmOf,
    connections: () => ({ opened, open: sockets.size }),
    pushMessage(o) {
      const ts = newTs();
      const user = o.user ?? "U0ANN";
      const channel = o.dm === false ? channelId : dmOf(user);
      const text = o.mention ? `<@${botUserId}> ${o.text}` : o.text;
      const event = {
        type: "message", channel, user, text, ts, event_ts: ts, team: o.team ?? teamId, user_team: o.team ?? teamId,
        channel_type: channel.startsWith("D") ? "im" : "channel",
        ...(o.threadTs ? { thread_ts: o.threadTs, parent_user_id: user } : {}),
        ...(o.files ? { subtype: "file_share", files: o.files } : {}),
      };
      messages.push({ channel, ts, user, text, ...(o.threadTs ? { thread_ts: o.threadTs } : {}) });
      emit(event);
      if (o.mention && !channel.startsWith("D")) {
        const { channel_type: _t, subtype: _s, ...rest } = event as Record<string, unknown>;
        emit({ ...rest, type: "app_mention" });
      }
      return ts;
    },
    pushEvent: (event) => emit(event),
    pushSlashCommand(o) {
      const user = o.user ?? "U0ANN";
      const channel = o.channel ?? dmOf(user);
      const triggerId = `${++seq}.${Date.now()}.fake`;
      emit({
        token: "verification-token", team_id: o.team ?? teamId, team_domain: "fake", channel_id: channel,
        channel_name: channel.startsWith("D") ? "directmessage" : "general", user_id: user, user_name: user.toLowerCase(),
        command: "/agentd", text: o.text, api_app_id: "A0FAKE", is_enterprise_install: "false",
        response_url: `${base}/commands/${triggerId}`, trigger_id: triggerId,
      }, "slash_commands");
      return triggerId;
    },
    addFile(name, mimetype, bytes) {
      const id = `F${++seq}`;
      files.set(id, bytes);
      return { id, name, mimetype, size: bytes.length, mode: "hosted", url_private: `${base}/files/${id}/${name}`, url_private_download: `${base}/files/${id}/download/${name}` };
    },
    until(check, what, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const done = (): void => {
          if (!check()) return;
          waiters.delete(done);
          clearInterval(poll);
          clearTimeout(timer);
          resolve();
        };
        const poll = setInterval(done, 25); // for conditions on things the fake is not told about
        const timer = setTimeout(() => {
          waiters.delete(done);
          clearInterval(poll);
          reject(new Error(`fake-slack: timed out waiting for ${what}`));
        }, timeoutMs);
        waiters.add(done);
        done();
      });
    },
    refresh() {
      for (const ws of sockets) ws.send(JSON.stringify({ type: "disconnect", reason: "refresh_requested", debug_info: { host: "fake-slack" } }));
    },
    async close() {
      closed = true;
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
