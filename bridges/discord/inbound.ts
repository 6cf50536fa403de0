/**
 * A discord.js `Message` as the message every bridge shares: channel address (threads keep their parent channel
 * as chat and themselves as thread), text without the bot's own mention, and the attachments to fetch.
 */
import { cleanContent, type Message } from "discord.js";
import type { IncomingMessage } from "../common/bridge-runtime.js";

/** A Discord message in the shared shape, with the discord.js message kept for replying. */
export interface DiscordIncoming extends IncomingMessage {
  source: Message;
}

/** An attachment of a Discord message, to download from its CDN URL. */
export interface DiscordFileRef {
  url: string;
  filename: string;
  mime: string;
  bytes: number;
}

/**
 * Whether a message is addressed to the bot `botId`: any DM; in a guild an `@bot` mention, a mention of the
 * bot's own managed role, or a reply to one of the bot's messages.
 */
export function isAddressedToBot(message: Message, botId: string): boolean {
  if (!message.inGuild()) return true;
  if (message.mentions.users.has(botId)) return true;
  if (message.mentions.repliedUser?.id === botId) return true;
  const botRole = message.guild.members.me?.roles.botRole;
  return botRole !== null && botRole !== undefined && message.mentions.roles.has(botRole.id);
}

/** The text for the agent: `<@bot>` mentions removed, other mentions shown as `@name`, trimmed. */
export function cleanText(message: Message, botId: string): string {
  const withoutBot = message.content.replace(new RegExp(`<@!?${botId}>[\\s,:]*`, "g"), "").trim();
  return withoutBot ? cleanContent(withoutBot, message.channel).trim() : "";
}

/**
 * Converts a Discord message to the shared shape, or undefined for messages a bridge does not forward: from bots
 * (including itself, whose sent messages Discord echoes back), system messages, messages with neither text nor
 * an attachment. Address: the channel (a thread's parent) as chat id, the thread as thread id, the author's id and
 * unique username, `isGroup` for guild messages, `mentioned` per {@link isAddressedToBot}.
 */
export function toIncoming(message: Message, botId: string): { msg: DiscordIncoming; files: DiscordFileRef[] } | undefined {
  if (message.author.bot || message.system || message.webhookId) return undefined;
  const files: DiscordFileRef[] = [...message.attachments.values()].map((a) => ({
    url: a.url, filename: a.name, mime: a.contentType ?? "application/octet-stream", bytes: a.size,
  }));
  const text = cleanText(message, botId);
  if (!text && files.length === 0) return undefined;
  const channel = message.channel;
  const thread = channel.isThread() ? channel : undefined;
  const msg: DiscordIncoming = {
    messageId: message.id,
    text,
    source: message,
    channel: {
      platform: "discord",
      chatId: thread?.parentId ?? message.channelId,
      userId: message.author.id,
      userName: message.author.username,
      ...(thread ? { threadId: thread.id } : {}),
      isGroup: message.inGuild(),
      mentioned: isAddressedToBot(message, botId),
    },
  };
  return { msg, files };
}
