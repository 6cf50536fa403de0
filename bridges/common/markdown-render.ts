/**
 * Markdown as models write it, parsed once with `marked`'s lexer (CommonMark plus GitHub Flavored Markdown:
 * strikethrough, tables, task lists, bare-URL autolinks; https://spec.commonmark.org/0.31.2/,
 * https://github.github.com/gfm/) and rendered through a {@link MarkdownRenderer}, so each chat platform only
 * supplies its markup. Line structure is kept: soft line breaks stay line breaks (chat clients show them), blank
 * lines between blocks are kept as written.
 */
import { Lexer, type Token, type Tokens } from "marked";

/**
 * The markup of one chat platform. `inner` arguments are already rendered; `raw` arguments are source text
 * the renderer must escape itself. Every method returns the rendered string.
 */
export interface MarkdownRenderer {
  /** Plain text between constructs (escape here, e.g. `&`, `<`, `>` for HTML). Raw HTML in the markdown comes here too. */
  text(raw: string): string;
  bold(inner: string): string;
  italic(inner: string): string;
  strike(inner: string): string;
  /** Inline code span, raw content. */
  code(raw: string): string;
  /** A link; `url` is raw, already restricted to http(s), mailto and tg:// targets. */
  link(inner: string, url: string): string;
  /**
   * A code block (fenced or indented): raw content, `lang` the info string's first word or "". GFM tables come
   * here too, as aligned plain-text columns (no chat platform has tables).
   */
  codeBlock(raw: string, lang: string): string;
  /** A heading (ATX `#` or setext), level 1..6. */
  heading(inner: string, level: number): string;
  /** A block quote; `inner` is its rendered blocks. Quotes inside quotes are flattened (Telegram cannot nest them). */
  quote(inner: string): string;
  /**
   * One list item: `indent` two spaces per nesting level, `marker` "3." style for ordered lists or undefined for
   * bullets. A task item's inner starts with ☐ or ☑.
   */
  listItem(inner: string, indent: string, marker: string | undefined): string;
  /** A thematic break (`---`, `***`). */
  rule(): string;
}

/** Link targets a chat client will open; anything else is shown as text. */
const SAFE_URL = /^(?:https?:\/\/|mailto:|tg:\/\/)[^\s]*$/i;

interface Ctx {
  r: MarkdownRenderer;
  /** Inside a block quote: nested quotes are not wrapped again. */
  quoted: boolean;
  /** List nesting depth of the blocks being rendered. */
  depth: number;
}

/**
 * Renders markdown with `r`. Link reference definitions are dropped (CommonMark: they are not shown); raw HTML is
 * shown as text through `r.text`; images become links to the image; links to other targets than http(s), mailto
 * and tg:// are shown as `label (url)` text, never as links.
 */
export function renderMarkdown(markdown: string, r: MarkdownRenderer): string {
  const tokens = new Lexer({ gfm: true }).lex(markdown.replace(/\r\n?/g, "\n"));
  return blocks(tokens, { r, quoted: false, depth: 0 }).trimEnd();
}

/**
 * Block tokens joined by line breaks, with the blank lines written between them (`space` tokens) kept.
 * `first` wraps the first block (a list item's marker).
 */
function blocks(tokens: readonly Token[], ctx: Ctx, first: (s: string) => string = (s) => s): string {
  let out: string | undefined;
  let gap = "";
  for (const t of tokens) {
    if (t.type === "space") {
      if (out !== undefined) gap = "\n".repeat(Math.max(0, (t.raw.match(/\n/g)?.length ?? 0) - 1));
      continue;
    }
    const s = block(t, ctx);
    if (s === undefined) continue;
    out = out === undefined ? first(s) : `${out}\n${gap}${s}`;
    gap = "";
  }
  return out ?? "";
}

function block(t: Token, ctx: Ctx): string | undefined {
  const { r } = ctx;
  switch (t.type) {
    case "paragraph":
    case "text":
      return "tokens" in t && t.tokens ? inline(t.tokens, r) : r.text(t.text ?? t.raw);
    case "heading":
      return r.heading(inline(t.tokens ?? [], r), t.depth as number);
    case "code":
      return r.codeBlock(t.text as string, ((t as Tokens.Code).lang ?? "").split(/\s/)[0] ?? "");
    case "blockquote": {
      const inner = blocks(t.tokens ?? [], { ...ctx, quoted: true });
      return ctx.quoted ? inner : r.quote(inner);
    }
    case "list":
      return list(t as Tokens.List, ctx);
    case "hr":
      return r.rule();
    case "table":
      return r.codeBlock(table(t as Tokens.Table), "");
    case "html":
      return r.text(t.raw.replace(/\n+$/, ""));
    case "def":
      return undefined;
    default:
      return r.text(t.raw.replace(/\n+$/, ""));
  }
}

function list(l: Tokens.List, ctx: Ctx): string {
  const indent = "  ".repeat(ctx.depth);
  const start = typeof l.start === "number" ? l.start : 1;
  const items = l.items.map((item, i) => {
    const marker = l.ordered ? `${start + i}.` : undefined;
    const box = item.task ? `${item.checked ? "☑" : "☐"} ` : "";
    // the marker goes on the item's first block; nested lists indent themselves one level deeper
    const parts = item.tokens.filter((t) => t.type !== "checkbox");
    const inner = blocks(parts, { ...ctx, depth: ctx.depth + 1 }, (s) => ctx.r.listItem(box + s, indent, marker));
    return inner || ctx.r.listItem(box, indent, marker);
  });
  return items.join(l.loose ? "\n\n" : "\n");
}

/** A GFM table as aligned plain-text columns: cells' text without markup, a dash line under the header. */
function table(t: Tokens.Table): string {
  const plainCell = (c: Tokens.TableCell) => inline(c.tokens, PLAIN).replace(/\n/g, " ");
  const rows = [t.header.map(plainCell), ...t.rows.map((row) => row.map(plainCell))];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => [...(row[i] ?? "")].length)));
  const pad = (s: string, i: number) => {
    const room = widths[i]! - [...s].length;
    return t.align[i] === "right" ? " ".repeat(room) + s : s + " ".repeat(room);
  };
  const line = (row: string[]) => row.map(pad).join(" | ").trimEnd();
  return [line(rows[0]!), widths.map((w) => "-".repeat(w)).join("-|-"), ...rows.slice(1).map(line)].join("\n");
}

/** Text only, for table cells. */
const PLAIN: MarkdownRenderer = {
  text: (raw) => raw, bold: (s) => s, italic: (s) => s, strike: (s) => s, code: (raw) => raw,
  link: (s, url) => (s === url ? url : `${s} (${url})`), codeBlock: (raw) => raw, heading: (s) => s, quote: (s) => s,
  listItem: (s) => s, rule: () => "",
};

function inline(tokens: readonly Token[], r: MarkdownRenderer): string {
  let out = "";
  for (const t of tokens) {
    switch (t.type) {
      case "strong":
        out += r.bold(inline(t.tokens ?? [], r));
        break;
      case "em":
        out += r.italic(inline(t.tokens ?? [], r));
        break;
      case "del":
        out += r.strike(inline(t.tokens ?? [], r));
        break;
      case "codespan":
        out += r.code(t.text as string);
        break;
      case "br":
        out += "\n";
        break;
      case "link":
      case "image": {
        const url = (t as Tokens.Link).href;
        const label = (t.type === "image" ? r.text(t.text as string) : inline(t.tokens ?? [], r)) || r.text(url);
        out += SAFE_URL.test(url) ? r.link(label, url) : label + r.text(url ? ` (${url})` : "");
        break;
      }
      case "text":
        out += "tokens" in t && t.tokens ? inline(t.tokens, r) : r.text(t.text as string);
        break;
      case "escape":
        out += r.text(t.text as string);
        break;
      default:
        out += r.text(t.raw);
    }
  }
  return out;
}
