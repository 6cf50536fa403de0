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
import { DISCORD_MAX_CHARS, formatDiscordChunks, neutraliseMassMentions } from "../common/format-discord.js";
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

/**
 * Least milliseconds between two sends/edits of a live reply's draft: 1.5 s. Discord's per-route rate limits
 * (https://discord.com/developers/docs/topics/rate-limits) allow about 5 message edits per 5 s in a channel; we stay
 * under that, leaving room for the reply's own messages. discord.js's REST queue waits out a 429 beyond it.
 */
export const DISCORD_DRAFT_INTERVAL_MS = 1_500;

/** No pings from a bot message: mentions render but notify nobody (`allowed_mentions`). */
const NO_PINGS = { parse: [], replied_user: false };

/** The Discord {@link PlatformAdapter}, sending through `discord`'s REST client. */
export function discordAdapter(discord: Client): PlatformAdapter<DiscordIncoming> {
  const channelOf = (address: { chatId: string; threadId?: string | undefined }) => address.threadId ?? address.chatId;
  // PATCH /channels/{id}/messages/{id} (https://discord.com/developers/docs/resources/message#edit-message)
  const edit = async (address: { chatId: string; threadId?: string | undefined }, id: string, content: string): Promise<void> => {
    await discord.rest.patch(Routes.channelMessage(channelOf(address), id), { body: { content, allowed_mentions: NO_PINGS } });
  };
  return {
    platform: "discord",
    // live replies: a draft message edited in place, finally into the reply's first chunk
    drafts: {
      maxChars: DISCORD_MAX_CHARS,
      intervalMs: () => DISCORD_DRAFT_INTERVAL_MS,
      async send(address, text) {
        const reference = address.replyTo ? { message_reference: { message_id: address.replyTo, fail_if_not_exists: false } } : {};
        const sent = (await discord.rest.post(Routes.channelMessages(channelOf(address)), {
          body: { content: neutraliseMassMentions(text), allowed_mentions: NO_PINGS, ...reference },
        })) as { id: string };
        return sent.id;
      },
      edit: (address, id, text) => edit(address, id, neutraliseMassMentions(text)),
      finish: (address, id, chunk) => edit(address, id, chunk),
      delete: async (address, id) => void (await discord.rest.delete(Routes.channelMessage(channelOf(address), id))),
    },
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
