/**
 * A thin Bot API front for `telegram-test-api` (test fixture), filling the emulator's gaps that matter across
 * crashes (/work/shared/TESTING.md): `getUpdates` with the Bot API's semantics (https://core.telegram.org/bots/api#getupdates:
 * an update is dropped once a later `offset` confirms it; long polling up to `timeout` seconds), `setMyCommands`
 * and `sendChatAction` answered here, callback queries (inline keyboard presses, {@link TelegramShim.press}) with
 * `answerCallbackQuery` / `editMessageReplyMarkup` answered here, and every call recorded with its times. `sendMessage` can be held before
 * the platform takes it (`holdMs`): a client that disconnects during the hold never gets the message accepted,
 * as when a request never reached Telegram. File sends (`sendPhoto`, `sendDocument`, `sendVoice`, `sendAudio`,
 * `sendVideo`) are answered here from their multipart/form-data body, checked against the Bot API's fields
 * (https://core.telegram.org/bots/api#sending-files: the file in the field named after the kind, `chat_id`
 * required, `reply_parameters` JSON) and recorded in `files`. `editMessageText` (live replies) is checked and
 * answered here as the Bot API does (the emulator only stores the new text). The rest is proxied to the emulator.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createNetServer } from "node:net";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { TelegramServer } from "telegram-test-api/lib/telegramServer.js";
import type { Transformer } from "grammy";

/** One Bot API call the shim answered. Times are `Date.now()`. */
export interface ShimCall {
  method: string;
  params: Record<string, any>;
  receivedAt: number;
  /** For `sendMessage`: when the emulator stored the message (the platform accepted it); undefined if it never did. */
  acceptedAt?: number;
  result?: any;
}

/** A file the bot uploaded: the method, its chat, the file part's name, type and bytes, and the other fields. */
export interface ShimFile {
  method: string;
  chatId: string;
  fileName: string;
  contentType: string;
  bytes: Buffer;
  fields: Record<string, string>;
  messageId: number;
}

/** The Bot API's file field of each file-sending method. */
const FILE_FIELD: Record<string, string> = { sendPhoto: "photo", sendDocument: "document", sendVoice: "voice", sendAudio: "audio", sendVideo: "video" };

/** The running shim: its Bot API root, the emulator behind it, and the recorded calls. */
export interface TelegramShim {
  apiRoot: string;
  emulator: TelegramServer;
  calls: ShimCall[];
  /** Files the bot uploaded (accepted), in order. */
  files: ShimFile[];
  /** Messages the bot sent to `chatId` (accepted by the platform), in order. */
  sent(chatId: number | string): Array<{ text: string; receivedAt: number; acceptedAt: number; messageId: number }>;
  /** Delay before a `sendMessage` to `chatId` is taken (its `n`-th to that chat, from 1); default none. */
  holdMs: (chatId: string, n: number) => number;
  /** Called once the platform took a `sendMessage` (stored), before it answers the sender; default none. */
  onAccepted: (chatId: string) => Promise<void> | void;
  /** A Bot API error to answer the `n`-th `sendMessage` to `chatId` with (nothing is sent); default none. */
  failWith: (chatId: string, n: number) => { error_code: number; description: string } | undefined;
  /** A user presses an inline keyboard button (`data`) under the bot's message `messageId` in `chatId`. */
  press(botToken: string, user: { userId: number; chatId: number; userName: string }, data: string, messageId: number): Promise<void>;
  /** The toasts (`answerCallbackQuery` texts) the bot showed, in order. */
  toasts(): string[];
  close(): Promise<void>;
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
};

/** Parses a multipart/form-data body with the platform's own parser (undici's `Request.formData`). */
async function readForm(req: IncomingMessage): Promise<FormData> {
  const body = Readable.toWeb(req) as ReadableStream<Uint8Array>;
  return new Request("http://shim/", { method: "POST", headers: { "content-type": req.headers["content-type"] ?? "" }, body, duplex: "half" } as RequestInit).formData();
}

async function readBody(req: IncomingMessage): Promise<Record<string, any>> {
  let raw = "";
  for await (const c of req) raw += c;
  if (!raw) return {};
  if ((req.headers["content-type"] ?? "").includes("json")) return JSON.parse(raw) as Record<string, any>;
  return Object.fromEntries(new URLSearchParams(raw));
}

/** The emulator's own update formatting (a static it does not declare public). */
const formatUpdate = (u: unknown): unknown => (TelegramServer as unknown as { formatUpdate(u: unknown): unknown }).formatUpdate(u);

/**
 * Starts the emulator and the shim on free loopback ports. `localSends`: answer `sendMessage` here (recorded, with
 * a Bot API `Message`) instead of storing it in the emulator: a faster platform, for benchmarks.
 */
export async function startTelegramShim(opts: { localSends?: boolean } = {}): Promise<TelegramShim> {
  // the emulator builds its clients' URL from the configured port: it needs a real one, not 0
  const emulatorPort = await freePort();
  const emulator = new TelegramServer({ port: emulatorPort, host: "127.0.0.1", storeTimeout: 3600 });
  await emulator.start();
  const emulatorRoot = `http://127.0.0.1:${emulatorPort}`;
  const calls: ShimCall[] = [];
  const confirmed = new Map<string, number>();
  const perChat = new Map<string, number>();
  const polls = new Set<() => void>();
  let nextMessageId = 1;

  const updatesFor = (token: string) => {
    const from = confirmed.get(token) ?? 0;
    return emulator.storage.userMessages.filter((u) => u.botToken === token && u.updateId >= from);
  };

  const shim: TelegramShim = {
    apiRoot: "",
    emulator,
    calls,
    files: [],
    holdMs: () => 0,
    failWith: () => undefined,
    onAccepted: () => {},
    sent: (chatId) =>
      calls
        .filter((c) => c.method === "sendMessage" && c.acceptedAt !== undefined && String(c.params.chat_id) === String(chatId))
        .map((c) => ({ text: String(c.params.text), receivedAt: c.receivedAt, acceptedAt: c.acceptedAt!, messageId: Number(c.result?.message_id) })),
    press: async (botToken, u, data, messageId) => {
      const client = emulator.getClient(botToken, { userId: u.userId, chatId: u.chatId, userName: u.userName, firstName: u.userName });
      await client.sendCallback(client.makeCallbackQuery(data, { message: { message_id: messageId, date: Math.floor(Date.now() / 1000) } }) as never);
    },
    toasts: () => calls.filter((c) => c.method === "answerCallbackQuery").map((c) => String(c.params.text ?? "")),
    close: async () => {
      for (const wake of polls) wake();
      await new Promise((r) => server.close(r));
      server.closeAllConnections();
      await emulator.stop();
    },
  };

  const server = createServer((req, res) => {
    void (async () => {
      const m = /^\/bot([^/]+)\/(\w+)$/.exec(req.url?.split("?")[0] ?? "");
      if (!m) return json(res, 404, { ok: false, error_code: 404, description: "Not Found" });
      const [, token, method] = m as unknown as [string, string, string];
      if (FILE_FIELD[method]) {
        const form = await readForm(req);
        const fields: Record<string, string> = {};
        const parts = new Map<string, File>();
        for (const [k, v] of form.entries()) {
          if (typeof v === "string") fields[k] = v;
          else parts.set(k, v);
        }
        // the file is the part named after the kind, or the part `attach://<name>` points at (what grammY sends)
        const ref = fields[FILE_FIELD[method]!];
        const file = ref?.startsWith("attach://") ? parts.get(ref.slice("attach://".length)) : parts.get(FILE_FIELD[method]!);
        calls.push({ method, params: fields, receivedAt: Date.now() });
        if (!fields.chat_id) return json(res, 400, { ok: false, error_code: 400, description: "Bad Request: chat_id is empty" });
        if (!file) return json(res, 400, { ok: false, error_code: 400, description: `Bad Request: there is no ${FILE_FIELD[method]} in the request` });
        if (fields.reply_parameters) JSON.parse(fields.reply_parameters); // must be JSON (the Bot API's serialized object)
        const messageId = 1_000_000 + nextMessageId++;
        shim.files.push({ method, chatId: fields.chat_id, fileName: file.name, contentType: file.type, bytes: Buffer.from(await file.arrayBuffer()), fields, messageId });
        const result = { message_id: messageId, date: Math.floor(Date.now() / 1000), chat: { id: Number(fields.chat_id), type: "private" }, [FILE_FIELD[method]!]: { file_id: `f${messageId}` } };
        return json(res, 200, { ok: true, result });
      }
      const params = await readBody(req);
      const call: ShimCall = { method, params, receivedAt: Date.now() };
      calls.push(call);
      if (method === "getUpdates") {
        const offset = Number(params.offset ?? 0);
        if (offset > 0) confirmed.set(token, Math.max(confirmed.get(token) ?? 0, offset));
        const deadline = Date.now() + Math.min(Number(params.timeout ?? 0), 30) * 1000;
        let gone = false;
        res.on("close", () => (gone = true));
        while (updatesFor(token).length === 0 && Date.now() < deadline && !gone) {
          await new Promise<void>((wake) => {
            const done = () => {
              clearTimeout(timer);
              emulator.off("AddedUserMessage", done);
              emulator.off("AddedUserCommand", done);
              emulator.off("AddedUserCallbackQuery", done);
              polls.delete(done);
              wake();
            };
            const timer = setTimeout(done, Math.max(1, deadline - Date.now()));
            emulator.on("AddedUserMessage", done);
            emulator.on("AddedUserCommand", done);
            emulator.on("AddedUserCallbackQuery", done);
            polls.add(done);
          });
        }
        const updates = updatesFor(token).slice(0, Number(params.limit ?? 100));
        for (const u of updates) u.isRead = true;
        return json(res, 200, { ok: true, result: updates.map((u) => formatUpdate(u)) });
      }
      if (method === "setMyCommands" || method === "sendChatAction" || method === "deleteWebhook") return json(res, 200, { ok: true, result: true });
      // inline keyboards (approval buttons): the press is answered with a toast; the keyboard may be removed
      if (method === "answerCallbackQuery" || method === "editMessageReplyMarkup") return json(res, 200, { ok: true, result: true });
      if (method === "sendMessage") {
        const chat = String(params.chat_id);
        const n = (perChat.get(chat) ?? 0) + 1;
        perChat.set(chat, n);
        const failure = shim.failWith(chat, n);
        if (failure) return json(res, failure.error_code, { ok: false, ...failure });
        const hold = shim.holdMs(chat, n);
        if (hold > 0) {
          let gone = false;
          res.on("close", () => (gone = true));
          await new Promise((r) => setTimeout(r, hold));
          if (gone) return; // the sender died before the platform took it: nothing was sent
        }
      }
      // editMessageText with the Bot API's answers (https://core.telegram.org/bots/api#editmessagetext), which the
      // emulator lacks: 400 for a missing or unknown message and for an edit that changes nothing, else the edited
      // Message; the emulator stores the new text (what the user sees)
      if (method === "editMessageText") {
        const stored = emulator.storage.botMessages.find((u) => String(u.messageId) === String(params.message_id) && String(u.message.chat_id) === String(params.chat_id));
        if (!params.text) return json(res, 400, { ok: false, error_code: 400, description: "Bad Request: message text is empty" });
        if (!stored) return json(res, 400, { ok: false, error_code: 400, description: "Bad Request: message to edit not found" });
        const was = stored.message as { text?: string; parse_mode?: string };
        if (was.text === String(params.text) && (was.parse_mode ?? "") === String(params.parse_mode ?? "")) {
          return json(res, 400, { ok: false, error_code: 400, description: "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message" });
        }
        const upstream = await fetch(`${emulatorRoot}/bot${token}/editMessageText`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(params) });
        if (!upstream.ok) return json(res, upstream.status, await upstream.json());
        call.result = { message_id: Number(params.message_id), date: Math.floor(Date.now() / 1000), edit_date: Math.floor(Date.now() / 1000), chat: { id: Number(params.chat_id), type: "private" }, text: String(params.text) };
        return json(res, 200, { ok: true, result: call.result });
      }
      if (method === "sendMessage" && opts.localSends) {
        const result = { message_id: nextMessageId++, date: Math.floor(Date.now() / 1000), chat: { id: Number(params.chat_id), type: "private" }, text: String(params.text) };
        call.acceptedAt = Date.now();
        call.result = result;
        return json(res, 200, { ok: true, result });
      }
      const upstream = await fetch(`${emulatorRoot}/bot${token}/${method}`, {
        method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(params),
      });
      const body = (await upstream.json()) as { ok: boolean; result?: any };
      call.result = body.result;
      if (method === "sendMessage" && body.ok) {
        call.acceptedAt = Date.now();
        await shim.onAccepted(String(params.chat_id));
      }
      json(res, upstream.status, body);
    })().catch((err: unknown) => json(res, 500, { ok: false, error_code: 500, description: String(err) }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  shim.apiRoot = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return shim;
}

/** A TCP port free on 127.0.0.1 right now (for a stand-in server that needs its port before it listens). */
export async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

/**
 * A grammY API transformer for tests against telegram-test-api, which answers getUpdates at once (no long poll):
 * it pauses 30 ms on an empty batch so an idle bot does not spin (TESTING.md).
 */
export const idlePause: Transformer = async (prev, method, payload, signal) => {
  const res = await prev(method, payload, signal);
  if (method === "getUpdates" && res.ok && Array.isArray(res.result) && res.result.length === 0) await new Promise((r) => setTimeout(r, 30));
  return res;
};
