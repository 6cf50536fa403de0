/**
 * Block-level markdown as LLMs write it (fenced code, `#` headings, `>` quotes, lists, rules, paragraphs),
 * rendered line by line through a {@link MarkdownRenderer}, so each chat platform only supplies its markup.
 * Not a full CommonMark parser: tables, HTML and setext headings pass through as text.
 */
import { renderInline } from "./markdown-inline.js";

/**
 * The markup of one chat platform. `inner` arguments are already rendered; `raw` arguments are source text
 * the renderer must escape itself. Every method returns the rendered string.
 */
export interface MarkdownRenderer {
  /** Plain text between constructs (escape here, e.g. `&`, `<`, `>` for HTML). */
  text(raw: string): string;
  bold(inner: string): string;
  italic(inner: string): string;
  strike(inner: string): string;
  /** Inline code span, raw content. */
  code(raw: string): string;
  /** A link; `url` is raw, already restricted to http(s), mailto and tg:// targets. */
  link(inner: string, url: string): string;
  /** A fenced code block: raw content without the fences, `lang` the info string's first word or "". */
  codeBlock(raw: string, lang: string): string;
  /** A `#` heading, level 1..6. */
  heading(inner: string, level: number): string;
  /** A block quote; `inner` is the rendered quoted lines joined with `\n`. */
  quote(inner: string): string;
  /** One list item: `indent` as written, `marker` "1." style for ordered lists or undefined for bullets. */
  listItem(inner: string, indent: string, marker: string | undefined): string;
  /** A thematic break (`---`, `***`). */
  rule(): string;
}

const FENCE = /^([ \t]*)(`{3,}|~{3,})[ \t]*([^`\s]*)[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/;
const QUOTE = /^ {0,3}>[ \t]?/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const LIST = /^([ \t]*)([-*+]|\d{1,9}[.)])[ \t]+(.*)$/;

function taskBox(text: string): string {
  return text.replace(/^\[ \][ \t]+/, "☐ ").replace(/^\[[xX]\][ \t]+/, "☑ ");
}

/**
 * Renders markdown with `r`, one output line per input line (blank lines kept), paragraphs' inline markup
 * parsed across their line breaks. An unclosed fence runs to the end (as in CommonMark). Nested quotes are
 * flattened into one quote (Telegram cannot nest them).
 */
export function renderMarkdown(markdown: string, r: MarkdownRenderer): string {
  const lines = markdown.replace(/\r\n?/g, "\n").split("\n");
  const out: string[] = [];
  let para: string[] = [];
  const flush = (): void => {
    if (para.length > 0) out.push(renderInline(para.join("\n"), r));
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = FENCE.exec(line);
    if (fence) {
      flush();
      const [, indent = "", marker = "", lang = ""] = fence;
      const body: string[] = [];
      for (i++; i < lines.length; i++) {
        const l = lines[i]!;
        const close = /^[ \t]*(`{3,}|~{3,})[ \t]*$/.exec(l)?.[1];
        if (close && close[0] === marker[0] && close.length >= marker.length) break;
        body.push(l.startsWith(indent) ? l.slice(indent.length) : l.trimStart());
      }
      out.push(r.codeBlock(body.join("\n"), lang));
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      flush();
      out.push(r.heading(renderInline(heading[2] ?? "", r), heading[1]?.length ?? 1));
      continue;
    }
    if (QUOTE.test(line)) {
      flush();
      const quoted: string[] = [];
      for (; i < lines.length && QUOTE.test(lines[i]!); i++) {
        let l = lines[i]!;
        while (QUOTE.test(l)) l = l.replace(QUOTE, "");
        quoted.push(l);
      }
      i--;
      out.push(r.quote(renderMarkdown(quoted.join("\n"), r)));
      continue;
    }
    if (RULE.test(line)) {
      flush();
      out.push(r.rule());
      continue;
    }
    const item = LIST.exec(line);
    if (item) {
      flush();
      const [, indent = "", marker = "", text = ""] = item;
      const ordered = /\d/.test(marker) ? marker : undefined;
      out.push(r.listItem(renderInline(taskBox(text), r), indent, ordered));
      continue;
    }
    if (line.trim() === "") {
      flush();
      out.push("");
      continue;
    }
    para.push(line);
  }
  flush();
  return out.join("\n");
}
