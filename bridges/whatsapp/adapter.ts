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

/** The WhatsApp {@link PlatformAdapter}; `maxMessageChars` is `channels.whatsapp.maxMessageChars`. */
export function whatsappAdapter(sockets: SocketAccess, maxMessageChars: number): PlatformAdapter<WhatsAppIncoming> {
  return {
    platform: "whatsapp",
    typingIntervalMs: TYPING_INTERVAL_MS.whatsapp,
    format: (markdown) => formatWhatsAppChunks(markdown, maxMessageChars),
    async sendReply(msg, chunks) {
      // a read receipt only for messages the agent answers (ignored group chatter stays unread)
      sockets.current()?.readMessages([msg.source.key]).catch(() => {});
      let first = true;
      for (const text of chunks) {
        const sock = await sockets.whenOpen(SEND_WAIT_MS);
        await sock.sendMessage(msg.jid, { text }, first ? { quoted: msg.source } : {});
        first = false;
      }
    },
    async sendTyping(msg) {
      await sockets.current()?.sendPresenceUpdate("composing", msg.jid);
    },
    async stopTyping(msg) {
      await sockets.current()?.sendPresenceUpdate("paused", msg.jid);
    },
  };
}
