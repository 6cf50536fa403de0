/**
 * Preparing markdown for Discord, which renders markdown natively
 * (https://support.discord.com/hc/en-us/articles/210298617): only mass mentions are neutralised and the text is
 * split at Discord's 2000-character limit with code fences balanced per chunk.
 */
import { splitMessage } from "./split-message.js";

/** Discord's limit for one message's content (https://discord.com/developers/docs/resources/message#create-message). */
export const DISCORD_MAX_CHARS = 2000;

/**
 * Breaks `@everyone` and `@here` with a zero-width space after the `@` so they never ping, wherever they
 * appear. The bridge should also send with `allowedMentions: { parse: [] }` (belt and braces).
 */
export function neutraliseMassMentions(text: string): string {
  return text.replace(/@(everyone|here)\b/g, "@\u200b$1");
}

/**
 * Splits markdown into Discord messages of at most `maxChars` UTF-16 code units each, in order, mass mentions
 * neutralised, code fences closed and reopened across chunks (see `splitMessage`).
 *
 * @param maxChars default {@link DISCORD_MAX_CHARS} (2000).
 * @throws RangeError when `maxChars` is not an integer >= 2.
 */
export function formatDiscordChunks(markdown: string, maxChars: number = DISCORD_MAX_CHARS): string[] {
  return splitMessage(neutraliseMassMentions(markdown), { maxChars });
}
