/**
 * Markdown (as LLMs write it) to WhatsApp's formatting: `*bold*`, `_italic_`, `~strike~`, `` `code` `` inline,
 * ```` ``` ```` blocks, `> ` quotes, `- ` lists (WhatsApp Help Center, "How to format your messages").
 * WhatsApp has no link markup and no escaping: links become `text (url)`.
 */
import { fitChunks } from "./fit-chunks.js";
import { renderMarkdown, type MarkdownRenderer } from "./markdown-render.js";

/** Default most characters per WhatsApp message sent by the bridge (configurable; WhatsApp allows far more). */
export const WHATSAPP_MAX_CHARS = 4000;

const whatsapp: MarkdownRenderer = {
  text: (raw) => raw,
  bold: (s) => `*${s}*`,
  italic: (s) => `_${s}_`,
  strike: (s) => `~${s}~`,
  code: (raw) => `\`${raw}\``,
  link: (s, url) => (s === url ? url : `${s} (${url})`),
  codeBlock: (raw) => `\`\`\`\n${raw}\n\`\`\``,
  heading: (s) => `*${s}*`,
  quote: (s) => s.replace(/^/gm, "> "),
  listItem: (s, indent, marker) => `${indent}${marker ?? "-"} ${s}`,
  rule: () => "──────────",
};

/**
 * Converts markdown to WhatsApp formatting: `**b**` → `*b*`, `*i*`/`_i_` → `_i_`, `~~s~~` → `~s~`, inline code
 * kept as `` `c` ``, fences kept as ```` ``` ```` blocks (language tag dropped: WhatsApp would show it), `#`
 * headings → `*bold*` lines, `[t](u)` → `t (u)`, bullets → `- `. Unbalanced markers stay literal.
 */
export function markdownToWhatsApp(markdown: string): string {
  return renderMarkdown(markdown, whatsapp);
}

/**
 * Splits markdown into WhatsApp messages of at most `maxChars` UTF-16 code units each after conversion, in
 * order, each self-contained (code blocks closed and reopened across chunks).
 *
 * @param maxChars default {@link WHATSAPP_MAX_CHARS} (4000).
 * @throws RangeError when `maxChars` is not an integer >= 2.
 */
export function formatWhatsAppChunks(markdown: string, maxChars: number = WHATSAPP_MAX_CHARS): string[] {
  return fitChunks(markdown, maxChars, markdownToWhatsApp);
}
