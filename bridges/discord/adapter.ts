/**
 * How the Discord bridge talks back: markdown as is (Discord renders it), split at 2000 characters with code
 * fences balanced, mass mentions neutralised and no pings at all (`allowedMentions: { parse: [] }`), the first
 * chunk as a reply to the user's message, and the typing indicator (`POST /channels/{id}/typing`, 10 s) every 8 s.
 * Rate limits are handled by discord.js's REST queue.
 */
import type { PlatformAdapter } from "../common/bridge-runtime.js";
import { formatDiscordChunks } from "../common/format-discord.js";
import { TYPING_INTERVAL_MS } from "../common/typing-loop.js";
import type { DiscordIncoming } from "./inbound.js";

/** The Discord {@link PlatformAdapter}. `isStopping()` true makes sending a no-op (the bridge is shutting down). */
export function discordAdapter(isStopping: () => boolean = () => false): PlatformAdapter<DiscordIncoming> {
  return {
    platform: "discord",
    typingIntervalMs: TYPING_INTERVAL_MS.discord,
    format: (markdown) => formatDiscordChunks(markdown),
    async sendReply(msg, chunks) {
      const channel = msg.source.channel;
      let first = true;
      for (const content of chunks) {
        if (isStopping()) return;
        if (first) {
          await msg.source.reply({ content, allowedMentions: { parse: [], repliedUser: false }, failIfNotExists: false });
          first = false;
        } else if (channel.isSendable()) {
          await channel.send({ content, allowedMentions: { parse: [] } });
        }
      }
    },
    async sendTyping(msg) {
      const channel = msg.source.channel;
      if (channel.isSendable()) await channel.sendTyping();
    },
  };
}
