/**
 * Markdown (as LLMs write it) to Telegram's HTML parse mode, and a plain-text fallback.
 * Source: https://core.telegram.org/bots/api#html-style — only the tags Telegram supports are produced
 * (`b`, `i`, `s`, `code`, `pre` with `<code class="language-x">`, `a href`, `blockquote`), and `&`, `<`, `>`
 * are escaped everywhere outside tags (and `"` inside attribute values).
 */
import { fitChunks } from "./fit-chunks.js";
import { renderMarkdown, type MarkdownRenderer } from "./markdown-render.js";

/** Telegram's limit for one message's text (https://core.telegram.org/bots/api#sendmessage). */
export const TELEGRAM_MAX_CHARS = 4096;

/** Escapes `&`, `<` and `>` for Telegram HTML text (the only entities Telegram requires outside tags). */
export function escapeTelegramHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const telegramHtml: MarkdownRenderer = {
  text: escapeTelegramHtml,
  bold: (s) => `<b>${s}</b>`,
  italic: (s) => `<i>${s}</i>`,
  strike: (s) => `<s>${s}</s>`,
  code: (raw) => `<code>${escapeTelegramHtml(raw)}</code>`,
  link: (s, url) => `<a href="${escapeTelegramHtml(url).replace(/"/g, "&quot;")}">${s}</a>`,
  codeBlock: (raw, lang) => {
    const safeLang = lang.replace(/[^\w+#.-]/g, "");
    const code = escapeTelegramHtml(raw);
    return safeLang ? `<pre><code class="language-${safeLang}">${code}</code></pre>` : `<pre>${code}</pre>`;
  },
  heading: (s) => `<b>${s}</b>`,
  quote: (s) => `<blockquote>${s}</blockquote>`,
  listItem: (s, indent, marker) => `${indent}${marker ?? "•"} ${s}`,
  rule: () => "──────────",
};

const plain: MarkdownRenderer = {
  text: (raw) => raw,
  bold: (s) => s,
  italic: (s) => s,
  strike: (s) => s,
  code: (raw) => raw,
  link: (s, url) => (s === url ? url : `${s} (${url})`),
  codeBlock: (raw) => raw,
  heading: (s) => s,
  quote: (s) => s.replace(/^/gm, "> "),
  listItem: (s, indent, marker) => `${indent}${marker ?? "•"} ${s}`,
  rule: () => "──────────",
};

/**
 * Converts markdown to Telegram HTML (send with `parse_mode: "HTML"`). `**b**`/`__b__` → `<b>`, `*i*`/`_i_` →
 * `<i>`, `~~s~~` → `<s>`, `` `c` `` → `<code>`, fences → `<pre><code class="language-x">`, `[t](u)` → `<a href>`
 * (http(s), mailto and tg:// only), `#` headings → bold lines, `>` quotes → `<blockquote>`, list bullets → `•`.
 * Unbalanced markers stay literal. The result is not length-limited: see {@link formatTelegramChunks}.
 */
export function markdownToTelegramHtml(markdown: string): string {
  return renderMarkdown(markdown, telegramHtml);
}

/**
 * Length of Telegram HTML as Telegram counts it: the text left after entity parsing (tags removed, `&lt;`,
 * `&gt;`, `&amp;`, `&quot;` decoded), in UTF-16 code units. Source: sendMessage `text` is "1-4096 characters
 * after entities parsing" (https://core.telegram.org/bots/api#sendmessage).
 */
export function telegramTextLength(html: string): number {
  return html.replace(/<[^>]*>/g, "").replace(/&(?:lt|gt|amp|quot);/g, "_").length;
}

/** Options of {@link formatTelegramChunks}. */
export interface TelegramChunkOptions {
  /**
   * What `maxChars` limits: `"html"` (default) the whole HTML string, tags and entities included (strict, so a
   * chunk is under the limit however it is counted); `"text"` the text after entity parsing, which is what
   * Telegram counts ({@link telegramTextLength}): fewer, fuller messages for heavily formatted replies.
   */
  measure?: "html" | "text";
}

/**
 * Splits markdown into Telegram messages and converts each to Telegram HTML; every element is a
 * self-contained, valid HTML message (code blocks closed and reopened across chunks) of at most `maxChars`
 * UTF-16 code units as chosen by `opts.measure`, in order. Send each with `parse_mode: "HTML"`; if Telegram
 * rejects one, resend {@link telegramHtmlToPlain} of that chunk as plain text.
 *
 * @param maxChars default {@link TELEGRAM_MAX_CHARS} (4096).
 * @throws RangeError when `maxChars` is not an integer >= 2.
 */
export function formatTelegramChunks(
  markdown: string,
  maxChars: number = TELEGRAM_MAX_CHARS,
  opts: TelegramChunkOptions = {},
): string[] {
  const measure = opts.measure === "text" ? telegramTextLength : undefined;
  return fitChunks(markdown, maxChars, markdownToTelegramHtml, measure);
}

/**
 * The plain text of a Telegram HTML chunk (from {@link formatTelegramChunks}), for resending it without
 * `parse_mode` when Telegram rejects the HTML: links become `text (url)`, tags go, entities are decoded.
 * With the default "html" measure the result is never longer than the chunk; with "text" it can be (links),
 * so pass it through `splitMessage` before sending.
 */
export function telegramHtmlToPlain(html: string): string {
  return html
    .replace(/<a href="([^"]*)">([\s\S]*?)<\/a>/g, (_, url: string, text: string) => (text === url ? text : `${text} (${url})`))
    .replace(/<[^>]*>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&");
}

/**
 * Markdown to readable plain text, the fallback when Telegram rejects the HTML: emphasis and code markers
 * removed, fences dropped (code kept), `[t](u)` → `t (u)`, headings → their text, bullets → `•`, quotes keep
 * `> `. Split the result with `splitMessage` (it contains no markup to break).
 */
export function stripMarkdown(markdown: string): string {
  return renderMarkdown(markdown, plain);
}
