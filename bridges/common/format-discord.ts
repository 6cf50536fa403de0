/**
 * Markdown (as models write it) to Discord's markdown (https://support.discord.com/hc/en-us/articles/210298617):
 * parsed as CommonMark/GFM ({@link renderMarkdown}) and written back in the subset Discord renders: `**bold**`,
 * `*italic*`, `~~strike~~`, code spans and fenced blocks (with their language), `[text](url)` links, `#`–`###`
 * headings (deeper ones bold), `>` quotes, `-`/`1.` lists. What Discord lacks is rewritten: tables become aligned
 * columns in a code block, rules a line of `─`, task items ☐/☑. Mass mentions are neutralised and the text is split
 * at Discord's 2000-character limit with code fences balanced per chunk.
 */
import { fitChunks } from "./fit-chunks.js";
import { renderMarkdown, type MarkdownRenderer } from "./markdown-render.js";

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
 * Backslash-escapes what Discord would read as markup in literal text: `\ * _ ~ \` |` anywhere, and a `#`, `>`,
 * `-`, `+` or `1.` list marker at the start of a line.
 */
function escapeDiscord(text: string): string {
  return text.replace(/[\\*_~`|]/g, "\\$&").replace(/^([ \t]*)([#>+-]|\d+\.)(?=[ \t]|$)/gm, "$1\\$2");
}

const discord: MarkdownRenderer = {
  text: escapeDiscord,
  bold: (s) => `**${s}**`,
  italic: (s) => `*${s}*`,
  strike: (s) => `~~${s}~~`,
  code: (raw) => (raw.includes("`") ? `\`\` ${raw} \`\`` : `\`${raw}\``),
  // Discord shows a bare URL as a link itself; masked links `[text](url)` are allowed in bot messages
  link: (s, url) => (s === escapeDiscord(url) ? url : `[${s}](<${url.replace(/>/g, "%3E")}>)`),
  codeBlock: (raw, lang) => `\`\`\`${lang.replace(/[^\w+#.-]/g, "")}\n${raw.replace(/```/g, "`\u200b``")}\n\`\`\``,
  heading: (s, level) => (level <= 3 ? `${"#".repeat(level)} ${s}` : `**${s}**`),
  quote: (s) => s.replace(/^/gm, "> "),
  listItem: (s, indent, marker) => `${indent}${marker ?? "-"} ${s}`,
  rule: () => "──────────",
};

/**
 * Converts markdown to Discord markdown (see the module comment). Literal markup characters stay literal
 * (backslash-escaped), so Discord shows what CommonMark would.
 */
export function markdownToDiscord(markdown: string): string {
  return neutraliseMassMentions(renderMarkdown(markdown, discord));
}

/**
 * Splits markdown into Discord messages of at most `maxChars` UTF-16 code units each after conversion
 * ({@link markdownToDiscord}), in order, each self-contained (code blocks closed and reopened across chunks).
 *
 * @param maxChars default {@link DISCORD_MAX_CHARS} (2000).
 * @throws RangeError when `maxChars` is not an integer >= 2.
 */
export function formatDiscordChunks(markdown: string, maxChars: number = DISCORD_MAX_CHARS): string[] {
  return fitChunks(markdown, maxChars, markdownToDiscord);
}
