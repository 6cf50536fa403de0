/**
 * Markdown (as LLMs write it) to Slack's mrkdwn (https://docs.slack.dev/messaging/formatting-message-text):
 * `*bold*`, `_italic_`, `~strike~`, `` `code` ``, ```` ``` ```` blocks, `> ` quotes, `<url|text>` links. Slack
 * needs `&`, `<` and `>` escaped as `&amp;`, `&lt;`, `&gt;` everywhere (code included), which also keeps the model
 * from writing `<!channel>` or `<@U123>` pings. Rendered through the shared block/inline renderer
 * ({@link renderMarkdown}, a CommonMark/GFM parse by `marked`); only the markup is Slack's.
 */
import { fitChunks } from "./fit-chunks.js";
import { renderMarkdown, type MarkdownRenderer } from "./markdown-render.js";

/**
 * Most characters per Slack message the bridge sends: chat.postMessage's `text` is best kept under 4,000
 * characters, and Slack truncates beyond 40,000 (https://docs.slack.dev/reference/methods/chat.postMessage,
 * "Truncating content").
 */
export const SLACK_MAX_CHARS = 4000;

/** Escapes `&`, `<` and `>` as Slack requires in message text (the only three control characters of mrkdwn). */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const slack: MarkdownRenderer = {
  text: escapeSlack,
  bold: (s) => `*${s}*`,
  italic: (s) => `_${s}_`,
  strike: (s) => `~${s}~`,
  code: (raw) => `\`${escapeSlack(raw)}\``,
  // `|` and `>` end the url part of `<url|text>`: percent-encode them; the label cannot contain `|` either
  link: (s, url) => `<${escapeSlack(url).replace(/\|/g, "%7C")}|${s.replace(/\|/g, "¦")}>`,
  codeBlock: (raw) => `\`\`\`\n${escapeSlack(raw)}\n\`\`\``,
  heading: (s) => `*${s}*`,
  quote: (s) => s.replace(/^/gm, "> "),
  listItem: (s, indent, marker) => `${indent}${marker ?? "•"} ${s}`,
  rule: () => "──────────",
};

/**
 * Converts markdown to Slack mrkdwn: `**b**` → `*b*`, `*i*`/`_i_` → `_i_`, `~~s~~` → `~s~`, inline code and fences
 * kept (language tag dropped: Slack would show it), `[t](u)` → `<u|t>` (http(s), mailto and tg:// only), `#`
 * headings → bold lines, bullets → `•`, `&<>` escaped. Unbalanced markers stay literal.
 */
export function markdownToSlack(markdown: string): string {
  return renderMarkdown(markdown, slack);
}

/**
 * Splits markdown into Slack messages of at most `maxChars` UTF-16 code units each after conversion and
 * escaping, in order, each self-contained (code blocks closed and reopened across chunks).
 *
 * @param maxChars default {@link SLACK_MAX_CHARS} (4000).
 * @throws RangeError when `maxChars` is not an integer >= 2.
 */
export function formatSlackChunks(markdown: string, maxChars: number = SLACK_MAX_CHARS): string[] {
  return fitChunks(markdown, maxChars, markdownToSlack);
}
