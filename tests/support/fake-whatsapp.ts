/**
 * A stand-in for a Baileys socket, for WhatsApp bridge tests (test fixture, not product code). Nothing can
 * emulate WhatsApp's servers (Noise handshake, encrypted binary protocol; see /work/shared/TESTING.md), so the
 * bridge is written against an injected socket-shaped object and tests drive this one: `ev` is Baileys' own
 * event buffer (`makeEventBuffer`), incoming messages are real `proto.WebMessageInfo` objects, and sent
 * messages are built by Baileys' `generateWAMessage`, so the bridge sees exactly the shapes Baileys 7 gives it.
 */
import {
  DisconnectReason,
  generateMessageID,
  generateWAMessage,
  makeEventBuffer,
  proto,
  type AnyMessageContent,
  type MiscMessageGenerationOptions,
  type WAMessage,
  type WAPresence,
  type WASocket,
} from "@whiskeysockets/baileys";
import { pino } from "pino";

/** The part of a Baileys `WASocket` a bridge may use; the fake implements exactly this. */
export type WaSocketLike = Pick<WASocket, "ev" | "sendMessage" | "sendPresenceUpdate" | "end" | "user" | "readMessages">;

/** One `sendMessage` call. */
export interface SentWaMessage {
  /** Destination chat jid. */
  jid: string;
  /** The content as passed (e.g. `{ text }`). */
  content: AnyMessageContent;
  /** `options.quoted` when the message replied to one. */
  quoted?: WAMessage;
  /** The message Baileys would have relayed (key.fromMe true, contextInfo.stanzaId for replies). */
  message: WAMessage;
  /** `Date.now()` at the call. */
  at: number;
}

/** One `sendPresenceUpdate` call. */
export interface WaPresenceUpdate {
  type: WAPresence;
  jid?: string;
  at: number;
}

/** Options of {@link FakeWaSocket.emitIncomingText}. */
export interface IncomingTextOptions {
  /** The sender's jid, e.g. `15550001111@s.whatsapp.net` (the participant in a group). */
  fromJid: string;
  /** Message text. */
  text: string;
  /** Sender's display name; default "Ann". */
  pushName?: string;
  /** A group message: `key.remoteJid` is `groupJid`, `key.participant` is `fromJid`. Default false. */
  isGroup?: boolean;
  /** The group's jid when `isGroup`; default `120363000000000001@g.us`. */
  groupJid?: string;
  /** Jids mentioned in the text; makes it an `extendedTextMessage` with `contextInfo.mentionedJid`. */
  mentionedJids?: string[];
}

/** A fake Baileys socket plus recording and event helpers; see {@link createFakeWaSocket}. */
export interface FakeWaSocket extends WaSocketLike {
  /** Every `sendMessage` call, in order. */
  sent: SentWaMessage[];
  /** Every `sendPresenceUpdate` call, in order. */
  presence: WaPresenceUpdate[];
  /** Keys passed to `readMessages`, in order. */
  read: WAMessage["key"][];
  /** True once `end()` was called. */
  ended: boolean;
  /** When set, the next `sendMessage` calls reject with this error (e.g. to test error handling). */
  failSendWith: Error | undefined;
  /** Builds a real incoming text message and emits `messages.upsert` with type "notify"; returns it. */
  emitIncomingText(opts: IncomingTextOptions): WAMessage;
  /** Emits `connection.update` `{ connection: "open" }`. */
  emitOpen(): void;
  /**
   * Emits `connection.update` `{ connection: "close", lastDisconnect: { error, date } }` where `error` is
   * Boom-shaped (`output.statusCode`), as Baileys does; use {@link DisconnectReason} values, e.g. 428
   * `connectionClosed` (reconnect) or 401 `loggedOut` (do not).
   */
  emitClose(statusCode: number): void;
}

/** Options of {@link createFakeWaSocket}. */
export interface FakeWaSocketOptions {
  /** The logged-in account; default `{ id: "15550009999:1@s.whatsapp.net", name: "agentd" }`. */
  user?: { id: string; name?: string };
  /** Like Baileys' `emitOwnEvents` (default true): each sent message is also emitted as `messages.upsert` "append". */
  emitOwnEvents?: boolean;
}

/** A Boom-shaped error as Baileys puts in `lastDisconnect.error` (`@hapi/boom`: `isBoom`, `output.statusCode`). */
function boomError(statusCode: number): Error {
  const reason = (DisconnectReason as unknown as Record<number, string>)[statusCode] ?? "unknown";
  return Object.assign(new Error(`Connection ${reason}`), {
    isBoom: true,
    output: { statusCode, payload: { statusCode, error: reason, message: `Connection ${reason}` }, headers: {} },
    data: null,
  });
}

/**
 * Creates a fake Baileys socket. `sendMessage` records the call and resolves with the message Baileys would
 * generate; `sendPresenceUpdate` and `readMessages` record and resolve; `end(error)` emits `connection.update` "close" with
 * that error once, as Baileys does. Nothing touches the network.
 */
export function createFakeWaSocket(opts: FakeWaSocketOptions = {}): FakeWaSocket {
  const logger = pino({ level: "silent" });
  const ev = makeEventBuffer(logger);
  const user = { id: opts.user?.id ?? "15550009999:1@s.whatsapp.net", name: opts.user?.name ?? "agentd" };
  const userJid = user.id.replace(/:\d+@/, "@");

  const fake: FakeWaSocket = {
    ev,
    user,
    sent: [],
    presence: [],
    read: [],
    ended: false,
    failSendWith: undefined,
    async sendMessage(jid: string, content: AnyMessageContent, options: MiscMessageGenerationOptions = {}) {
      if (fake.failSendWith) throw fake.failSendWith;
      const message = await generateWAMessage(jid, content, {
        ...options,
        userJid,
        logger,
        messageId: generateMessageID(),
        upload: () => Promise.reject(new Error("fake-whatsapp: media upload is not supported")),
      });
      const record: SentWaMessage = { jid, content, message, at: Date.now() };
      if (options.quoted) record.quoted = options.quoted;
      fake.sent.push(record);
      if (opts.emitOwnEvents ?? true) {
        process.nextTick(() => ev.emit("messages.upsert", { messages: [message], type: "append" }));
      }
      return message;
    },
    async sendPresenceUpdate(type: WAPresence, jid?: string) {
      const update: WaPresenceUpdate = { type, at: Date.now() };
      if (jid !== undefined) update.jid = jid;
      fake.presence.push(update);
    },
    async readMessages(keys: WAMessage["key"][]) {
      fake.read.push(...keys);
    },
    async end(error: Error | undefined) {
      if (fake.ended) return;
      fake.ended = true;
      ev.emit("connection.update", { connection: "close", lastDisconnect: { error, date: new Date() } });
    },
    emitIncomingText(o: IncomingTextOptions): WAMessage {
      const remoteJid = o.isGroup ? (o.groupJid ?? "120363000000000001@g.us") : o.fromJid;
      const mentions = o.mentionedJids ?? [];
      const message = mentions.length
        ? { extendedTextMessage: { text: o.text, contextInfo: { mentionedJid: mentions } } }
        : { conversation: o.text };
      const info = proto.WebMessageInfo.fromObject({
        key: { remoteJid, fromMe: false, id: generateMessageID(), ...(o.isGroup && { participant: o.fromJid }) },
        message,
        messageTimestamp: Math.floor(Date.now() / 1000),
        pushName: o.pushName ?? "Ann",
        status: proto.WebMessageInfo.Status.DELIVERY_ACK,
      }) as WAMessage;
      ev.emit("messages.upsert", { messages: [info], type: "notify" });
      return info;
    },
    emitOpen() {
      ev.emit("connection.update", { connection: "open" });
    },
    emitClose(statusCode: number) {
      ev.emit("connection.update", {
        connection: "close",
        lastDisconnect: { error: boomError(statusCode), date: new Date() },
      });
    },
  };
  return fake;
}

export { DisconnectReason };
