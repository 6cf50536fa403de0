/**
 * How the WhatsApp bridge talks back: WhatsApp formatting (`*bold*`, `_italic_`, ```` ``` ```` blocks) split at the
 * configured length, the first chunk quoting the user's message (which is marked read), and the `composing`
 * presence while the run streams (`paused` after). Sends wait for the socket to be open again when it is reconnecting.
 */
import type { PlatformAdapter } from "../common/bridge-runtime.js";
import { formatWhatsAppChunks } from "../common/format-whatsapp.js";
import { TYPING_INTERVAL_MS } from "../common/typing-loop.js";
import type { WhatsAppIncoming } from "./inbound.js";
import type { WaSocket } from "./socket.js";

/** How the adapter reaches the current socket: at once if open (else undefined), or waiting up to a time. */
export interface SocketAccess {
  current(): WaSocket | undefined;
  /** Resolves with the open socket; rejects after `timeoutMs` or when the bridge stops. */
  whenOpen(timeoutMs: number): Promise<WaSocket>;
}

/** Longest wait for a reconnecting socket before a reply is given up, in milliseconds. */
export const SEND_WAIT_MS = 30_000;

/**
 * WhatsApp's media limits, in bytes (WhatsApp Business docs, "Supported media types"): images 5 MB, audio and
 * video 16 MB, documents 100 MB. An image or audio over its limit goes as a document.
 */
export const WHATSAPP_MAX_BYTES = { image: 5 * 1024 * 1024, media: 16 * 1024 * 1024, document: 100 * 1024 * 1024 } as const;

/** Incoming messages kept to quote in replies (a delivery names its message only by id), newest kept. */
export const QUOTABLE_MESSAGES = 500;

/**
 * The WhatsApp {@link PlatformAdapter}; `maxMessageChars` is `channels.whatsapp.maxMessageChars`. Baileys needs
 * the whole message to quote it, so the bridge hands each incoming message to `remember`; a delivery answering one
 * of the last {@link QUOTABLE_MESSAGES} quotes it and marks it read, others go out without a quote.
 */
export function whatsappAdapter(sockets: SocketAccess, maxMessageChars: number): PlatformAdapter<WhatsAppIncoming> & { remember(msg: WhatsAppIncoming): void } {
  const recent = new Map<string, WhatsAppIncoming>();
  return {
    platform: "whatsapp",
    typingIntervalMs: TYPING_INTERVAL_MS.whatsapp,
    format: (markdown) => formatWhatsAppChunks(markdown, maxMessageChars),
    remember(msg) {
      recent.set(msg.messageId, msg);
      if (recent.size > QUOTABLE_MESSAGES) recent.delete(recent.keys().next().value!);
    },
    async sendDelivery(address, chunks, onSent) {
      const quoted = address.replyTo ? recent.get(address.replyTo) : undefined;
      // a read receipt only for messages the agent answers (ignored group chatter stays unread)
      if (quoted) sockets.current()?.readMessages([quoted.source.key]).catch(() => {});
      const ids: string[] = [];
      for (const [i, text] of chunks.entries()) {
        const sock = await sockets.whenOpen(SEND_WAIT_MS);
        const sent = await sock.sendMessage(address.chatId, { text }, i === 0 && quoted ? { quoted: quoted.source } : {});
        const id = sent?.key.id ?? "";
        ids.push(id);
        onSent(id);
      }
      return ids;
    },
    maxAttachmentBytes: () => WHATSAPP_MAX_BYTES.document,
    async sendAttachment(address, a, bytes) {
      const quoted = address.replyTo ? recent.get(address.replyTo) : undefined;
      const data = Buffer.from(bytes);
      const asMedia = a.bytes <= (a.kind === "image" ? WHATSAPP_MAX_BYTES.image : WHATSAPP_MAX_BYTES.media);
      // Baileys' message content kinds: image, audio (ptt: a voice note), video, document
      const content =
        asMedia && a.kind === "image" ? { image: data, mimetype: a.mime }
        // a voice note plays only as Ogg/Opus with the codec named (WhatsApp's own voice notes)
        : asMedia && a.kind === "voice" ? { audio: data, mimetype: a.mime === "audio/ogg" ? "audio/ogg; codecs=opus" : a.mime, ptt: true }
        : asMedia && a.kind === "audio" ? { audio: data, mimetype: a.mime }
        : asMedia && a.kind === "video" ? { video: data, mimetype: a.mime }
        : { document: data, mimetype: a.mime, fileName: a.name };
      const sock = await sockets.whenOpen(SEND_WAIT_MS);
      const sent = await sock.sendMessage(address.chatId, content, quoted ? { quoted: quoted.source } : {});
      return sent?.key.id ?? "";
    },
    async sendTyping(msg) {
      await sockets.current()?.sendPresenceUpdate("composing", msg.jid);
    },
    async stopTyping(msg) {
      await sockets.current()?.sendPresenceUpdate("paused", msg.jid);
    },
  };
}
