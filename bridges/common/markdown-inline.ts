/**
 * Inline markdown as LLMs write it (`**bold**`, `*italic*`/`_italic_`, `~~strike~~`, `` `code` ``,
 * `[text](url)`, `<https://…>`, backslash escapes), rendered through a {@link MarkdownRenderer}.
 *
 * Emphasis follows CommonMark's delimiter-run rules (https://spec.commonmark.org/0.31.2/#emphasis-and-strong-emphasis),
 * simplified: flanking decides who may open or close, the nearest opener wins, and whatever lies between a
 * matched pair is rendered first, so the output is always properly nested. Unbalanced markers stay literal.
 */
import type { MarkdownRenderer } from "./markdown-render.js";

type Node =
  | { kind: "text"; s: string }
  | { kind: "out"; s: string }
  | { kind: "delim"; ch: string; count: number; canOpen: boolean; canClose: boolean };

const ASCII_PUNCT = /[!-/:-@[-`{-~]/;
const PUNCT = /[\p{P}\p{S}]/u;
const SPACE = /\s/u;
/** Link targets a chat client will open; anything else is shown as text. */
const SAFE_URL = /^(?:https?:\/\/|mailto:|tg:\/\/)[^\s]*$/i;

function flanking(src: string, start: number, end: number): { left: boolean; right: boolean } {
  const before = start > 0 ? src[start - 1]! : " ";
  const after = end < src.length ? src[end]! : " ";
  const left = !SPACE.test(after) && (!PUNCT.test(after) || SPACE.test(before) || PUNCT.test(before));
  const right = !SPACE.test(before) && (!PUNCT.test(before) || SPACE.test(after) || PUNCT.test(after));
  return { left, right };
}

function delimiter(src: string, start: number, end: number): Node {
  const ch = src[start]!;
  const count = end - start;
  if (ch === "~" && count !== 2) return { kind: "text", s: src.slice(start, end) };
  const { left, right } = flanking(src, start, end);
  if (ch === "_") {
    const before = start > 0 ? src[start - 1]! : " ";
    const after = end < src.length ? src[end]! : " ";
    return {
      kind: "delim",
      ch,
      count,
      canOpen: left && (!right || PUNCT.test(before)),
      canClose: right && (!left || PUNCT.test(after)),
    };
  }
  return { kind: "delim", ch, count, canOpen: left, canClose: right };
}

/** A code span at `i` (a run of backticks): its end offset and content, or undefined when never closed. */
function codeSpan(src: string, i: number): { end: number; code: string } | undefined {
  let n = 0;
  while (src[i + n] === "`") n++;
  const fence = "`".repeat(n);
  let from = i + n;
  for (;;) {
    const j = src.indexOf(fence, from);
    if (j === -1) return undefined;
    let k = j + n;
    while (src[k] === "`") k++;
    if (k - j === n) {
      let code = src.slice(i + n, j).replace(/\n/g, " ");
      if (/^ .*[^ ].* $/s.test(code)) code = code.slice(1, -1);
      return { end: k, code };
    }
    from = k;
  }
}

/** A link `[label](url "title")` starting at the `[` at `i`: its end offset, label source and url. */
function linkAt(src: string, i: number): { end: number; label: string; url: string } | undefined {
  let depth = 0;
  let j = i;
  for (; j < src.length; j++) {
    const c = src[j];
    if (c === "\\") j++;
    else if (c === "`") {
      const span = codeSpan(src, j);
      if (span) j = span.end - 1;
    } else if (c === "[") depth++;
    else if (c === "]" && --depth === 0) break;
  }
  if (j >= src.length || src[j + 1] !== "(") return undefined;
  const m = /^\(\s*(?:<([^<>\n]*)>|((?:[^\s()\\]|\\.|\((?:[^\s()\\]|\\.)*\))*))(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/.exec(
    src.slice(j + 1),
  );
  if (!m) return undefined;
  return { end: j + 1 + m[0].length, label: src.slice(i + 1, j), url: m[1] ?? m[2] ?? "" };
}

function tokenize(src: string, r: MarkdownRenderer): Node[] {
  const nodes: Node[] = [];
  let text = "";
  const push = (node: Node): void => {
    if (text) nodes.push({ kind: "text", s: text });
    text = "";
    nodes.push(node);
  };
  for (let i = 0; i < src.length; ) {
    const c = src[i]!;
    if (c === "\\" && i + 1 < src.length && ASCII_PUNCT.test(src[i + 1]!)) {
      text += src[i + 1];
      i += 2;
    } else if (c === "`") {
      const span = codeSpan(src, i);
      let n = 1;
      while (src[i + n] === "`") n++;
      if (span) push({ kind: "out", s: r.code(span.code) });
      else text += src.slice(i, i + n);
      i = span ? span.end : i + n;
    } else if (c === "[" || (c === "!" && src[i + 1] === "[")) {
      const at = c === "!" ? i + 1 : i;
      const link = linkAt(src, at);
      if (!link) {
        text += src.slice(i, at + 1);
        i = at + 1;
        continue;
      }
      const label = renderInline(link.label, r) || r.text(link.url);
      const url = link.url.replace(/\\([!-/:-@[-`{-~])/g, "$1");
      push({ kind: "out", s: SAFE_URL.test(url) ? r.link(label, url) : label + r.text(url ? ` (${url})` : "") });
      i = link.end;
    } else if (c === "<" && /^<(?:https?:\/\/|mailto:)[^\s<>]*>/i.test(src.slice(i, i + 2048))) {
      const end = src.indexOf(">", i);
      const url = src.slice(i + 1, end);
      push({ kind: "out", s: r.link(r.text(url), url) });
      i = end + 1;
    } else if (c === "*" || c === "_" || c === "~") {
      let j = i + 1;
      while (src[j] === c) j++;
      const node = delimiter(src, i, j);
      if (node.kind === "text") text += node.s;
      else push(node);
      i = j;
    } else {
      text += c;
      i++;
    }
  }
  if (text) nodes.push({ kind: "text", s: text });
  return nodes;
}

function renderNodes(nodes: readonly Node[], r: MarkdownRenderer): string {
  let out = "";
  for (const n of nodes) out += n.kind === "out" ? n.s : r.text(n.kind === "text" ? n.s : n.ch.repeat(n.count));
  return out;
}

/** Matches emphasis closers with the nearest compatible opener, collapsing each matched pair into output. */
function processEmphasis(nodes: Node[], r: MarkdownRenderer): void {
  for (let i = 0; i < nodes.length; ) {
    const closer = nodes[i]!;
    if (closer.kind !== "delim" || !closer.canClose || closer.count === 0) {
      i++;
      continue;
    }
    let o = i - 1;
    for (; o >= 0; o--) {
      const n = nodes[o]!;
      if (n.kind === "delim" && n.ch === closer.ch && n.canOpen && n.count > 0) break;
    }
    const opener = nodes[o];
    if (!opener || opener.kind !== "delim") {
      i++;
      continue;
    }
    const use = opener.count >= 2 && closer.count >= 2 ? 2 : 1;
    const inner = renderNodes(nodes.slice(o + 1, i), r);
    const s = closer.ch === "~" ? r.strike(inner) : use === 2 ? r.bold(inner) : r.italic(inner);
    opener.count -= use;
    closer.count -= use;
    nodes.splice(o + 1, i - o - 1, { kind: "out", s });
    i = o + 2;
    if (opener.count === 0) {
      nodes.splice(o, 1);
      i--;
    }
    if (closer.count === 0) nodes.splice(i, 1);
  }
}

/**
 * Renders one run of inline markdown (a paragraph, a heading's text, a list item) with `r`.
 * Text between constructs goes through `r.text` (escaping), unmatched markers included.
 * Link targets other than http(s), mailto and tg:// are shown as ` (url)` text, never as links.
 */
export function renderInline(src: string, r: MarkdownRenderer): string {
  const nodes = tokenize(src, r);
  processEmphasis(nodes, r);
  return renderNodes(nodes, r);
}
