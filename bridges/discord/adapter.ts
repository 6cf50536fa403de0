/**
 * How the Discord bridge talks back: markdown as is (Discord renders it), split at 2000 characters with code
 * fences balanced, mass mentions neutralised and no pings at all (`allowed_mentions: { parse: [] }`), the first
 * chunk as a reply to `address.replyTo`, and the typing indicator (`POST /channels/{id}/typing`, 10 s) every 8 s.
 * Messages go to the thread when the address has one, else to the channel (`POST /channels/{id}/messages`);
 * rate limits are handled by discord.js's REST queue. A delivery's buttons (approval prompts) become a row of
 * message components under the last chunk.
 */
import { DiscordAPIError, Routes, type Client } from "discord.js";
import type { PlatformAdapter } from "../common/bridge-runtime.js";
import { formatDiscordChunks } from "../common/format-discord.js";
import { TYPING_INTERVAL_MS } from "../common/typing-loop.js";
import type { DiscordIncoming } from "./inbound.js";

/**
 * Whether Discord will never take messages for this channel: 403 (missing access or permissions, a user who
 * blocks DMs: codes 50001, 50013, 50007) or 404 (unknown channel, 10003).
 */
export function isPermanentDiscordError(err: unknown): boolean {
  return err instanceof DiscordAPIError && (err.status === 403 || err.status === 404);
}

/**
 * Largest file a bot attaches, in bytes: 10 MiB, Discord's default upload limit for a server without boosts
 * (Discord API docs, "Uploading Files"; it was 25 MiB before 2024). Boosted servers allow more; we keep the floor.
 */
export const DISCORD_MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

/** The Discord {@link PlatformAdapter}, sending through `discord`'s REST client. */
export function discordAdapter(discord: Client): PlatformAdapter<DiscordIncoming> {
  return {
    platform: "discord",
    typingIntervalMs: TYPING_INTERVAL_MS.discord,
    format: (markdown) => formatDiscordChunks(markdown),
    async sendDelivery(address, chunks, onSent, extras) {
      const channelId = address.threadId ?? address.chatId;
      const ids: string[] = [];
      for (const [i, content] of chunks.entries()) {
        const reference = i === 0 && address.replyTo ? { message_reference: { message_id: address.replyTo, fail_if_not_exists: false } } : {};
        // approval buttons under the last chunk: one action row (component type 1) of buttons (type 2; style 1
        // primary, 2 secondary, 4 danger), https://discord.com/developers/docs/interactions/message-components
        const buttons = i === chunks.length - 1 && extras?.buttons?.length
          ? { components: [{ type: 1, components: extras.buttons.map((b, j) => ({ type: 2, style: b.data.endsWith(":deny") ? 4 : j === 0 ? 1 : 2, label: b.text, custom_id: b.data })) }] }
          : {};
        const sent = (await discord.rest.post(Routes.channelMessages(channelId), {
          body: { content, allowed_mentions: { parse: [], replied_user: false }, ...reference, ...buttons },
        })) as { id: string };
        ids.push(sent.id);
        onSent(sent.id);
      }
      return ids;
    },
    maxAttachmentBytes: () => DISCORD_MAX_UPLOAD_BYTES,
    async sendAttachment(address, a, bytes) {
      // one message with the file (multipart: `files[0]` + `payload_json`, built by discord.js's REST client)
      const reference = address.replyTo ? { message_reference: { message_id: address.replyTo, fail_if_not_exists: false } } : {};
      const sent = (await discord.rest.post(Routes.channelMessages(address.threadId ?? address.chatId), {
        body: { allowed_mentions: { parse: [], replied_user: false }, ...reference },
        files: [{ name: a.name, data: Buffer.from(bytes), contentType: a.mime }],
      })) as { id: string };
      return sent.id;
    },
    isPermanent: isPermanentDiscordError,
    async sendTyping(msg) {
      const channel = msg.source.channel;
      if (channel.isSendable()) await channel.sendTyping();
    },
  };
}
