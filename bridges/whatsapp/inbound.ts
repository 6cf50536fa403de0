/**
 * A Baileys `WAMessage` as the message every bridge shares: channel address (phone-number ids preferred over
 * WhatsApp's LIDs, so allowlists can hold phone numbers), text or caption, and the media to download.
 */
import {
  getContentType,
  isJidBroadcast,
  isJidGroup,
  isJidNewsletter,
  isLidUser,
  jidNormalizedUser,
  normalizeMessageContent,
  type WAMessage,
  type proto,
} from "@whiskeysockets/baileys";
import type { IncomingMessage } from "../common/bridge-runtime.js";

/** The logged-in account: `id` (`<phone>:<device>@s.whatsapp.net`) and, on Baileys 7, `lid`. */
export interface WhatsAppSelf {
  id: string;
  lid?: string | undefined;
}

/** A WhatsApp message in the shared shape, with the chat jid and the original message (to quote in replies). */
export interface WhatsAppIncoming extends IncomingMessage {
  jid: string;
  source: WAMessage;
}

/** A media attachment of a message, downloaded with Baileys' `downloadMediaMessage`. */
export interface WhatsAppMedia {
  filename: string;
  mime: string;
  /** Declared size in bytes, when given. */
  bytes?: number;
}

/** The phone-number form of a sender: the first of `ids` on `@s.whatsapp.net`, else the first one, normalised. */
function preferPhone(...ids: Array<string | null | undefined>): string | undefined {
  const present = ids.filter((id): id is string => typeof id === "string" && id.length > 0);
  const phone = present.find((id) => !isLidUser(id));
  const chosen = phone ?? present[0];
  return chosen ? jidNormalizedUser(chosen) : undefined;
}

/** The `contextInfo` of a message's main content (mentions, the quoted message), if any. */
function contextInfoOf(content: proto.IMessage): proto.IContextInfo | undefined {
  const type = getContentType(content);
  const part = type ? (content[type] as { contextInfo?: proto.IContextInfo | null } | null | undefined) : undefined;
  return part && typeof part === "object" ? (part.contextInfo ?? undefined) : undefined;
}

/** The user part of a jid (`15550009999:1@s.whatsapp.net` → `15550009999`). */
const userOf = (jid: string): string => jid.split("@")[0]!.split(":")[0]!;

/**
 * Whether a message is addressed to the account `self`: any direct chat; in a group a mention of the account
 * (its phone jid or its LID) or a reply to one of its messages.
 */
export function isAddressedToMe(m: WAMessage, content: proto.IMessage, self: WhatsAppSelf): boolean {
  if (!isJidGroup(m.key.remoteJid ?? "")) return true;
  const mine = new Set([userOf(self.id), ...(self.lid ? [userOf(self.lid)] : [])]);
  const ctx = contextInfoOf(content);
  if (ctx?.mentionedJid?.some((j) => mine.has(userOf(j)))) return true;
  return typeof ctx?.participant === "string" && mine.has(userOf(ctx.participant));
}

/** The media of a message: an image, a document or an audio/voice note (other kinds are not forwarded). */
export function mediaOf(content: proto.IMessage, messageId: string): WhatsAppMedia | undefined {
  const size = (n: unknown): { bytes?: number } => (n === null || n === undefined ? {} : { bytes: Number(n) });
  if (content.imageMessage) {
    return { filename: `image-${messageId}.jpg`, mime: content.imageMessage.mimetype ?? "image/jpeg", ...size(content.imageMessage.fileLength) };
  }
  if (content.documentMessage) {
    const d = content.documentMessage;
    return { filename: d.fileName ?? `document-${messageId}`, mime: d.mimetype ?? "application/octet-stream", ...size(d.fileLength) };
  }
  if (content.audioMessage) {
    const a = content.audioMessage;
    const mime = a.mimetype ?? "audio/ogg";
    return { filename: `${a.ptt ? "voice" : "audio"}-${messageId}.${mime.includes("ogg") ? "ogg" : "m4a"}`, mime, ...size(a.fileLength) };
  }
  return undefined;
}

/**
 * Converts a WhatsApp message to the shared shape, or undefined for what a bridge does not forward: its own
 * messages, status updates, broadcast lists, newsletters, and messages with neither text nor media. Address: the
 * chat jid, the sender as a phone-number jid when known (display names are not identities and never sent), `isGroup`
 * for `@g.us` chats, `mentioned` per {@link isAddressedToMe}. A leading `@<own number>` is removed from the text.
 */
export function toIncoming(m: WAMessage, self: WhatsAppSelf): { msg: WhatsAppIncoming; media?: WhatsAppMedia } | undefined {
  const jid = m.key.remoteJid;
  if (!jid || m.key.fromMe || !m.key.id || isJidBroadcast(jid) || isJidNewsletter(jid)) return undefined;
  const content = normalizeMessageContent(m.message);
  if (!content) return undefined;
  const group = isJidGroup(jid) === true;
  const raw = content.conversation ?? content.extendedTextMessage?.text ?? content.imageMessage?.caption
    ?? content.videoMessage?.caption ?? content.documentMessage?.caption ?? "";
  const own = [userOf(self.id), ...(self.lid ? [userOf(self.lid)] : [])].join("|");
  const text = raw.replace(new RegExp(`^\\s*@(?:${own})\\b[\\s,:]*`), "").trim();
  const media = mediaOf(content, m.key.id);
  if (!text && !media) return undefined;
  const userId = group ? preferPhone(m.key.participant, m.key.participantAlt) : preferPhone(jid, m.key.remoteJidAlt);
  if (!userId) return undefined;
  const msg: WhatsAppIncoming = {
    messageId: m.key.id,
    jid,
    source: m,
    text,
    channel: { platform: "whatsapp", chatId: jid, userId, isGroup: group, mentioned: isAddressedToMe(m, content, self) },
  };
  return media ? { msg, media } : { msg };
}
