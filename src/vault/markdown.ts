import type { ParsedLink } from "./types.js";

/**
 * Low-level markdown scanning for Obsidian semantics: masking of code and comments, wikilinks, embeds,
 * markdown links, inline tags and the first H1. Sources: https://help.obsidian.md/Linking+notes+and+files/Internal+links,
 * https://help.obsidian.md/Editing+and+formatting/Tags, https://help.obsidian.md/Editing+and+formatting/Comments.
 */

const blank = (s: string): string => s.replace(/[^\n]/g, " ");

/**
 * Returns `text` with fenced code blocks (``` and ~~~), inline code spans, `%%comments%%` and `<!-- comments -->`
 * replaced by spaces (line breaks kept), so offsets and line numbers still match the original.
 */
export function maskCode(text: string): string {
  const lines = text.split("\n");
  let fence: { char: string; len: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const m = /^\s*(`{3,}|~{3,})/.exec(line);
    if (fence) {
      if (m && m[1]![0] === fence.char && m[1]!.length >= fence.len && line.trim() === m[1]) fence = undefined;
      lines[i] = blank(line);
      continue;
    }
    if (m) {
      fence = { char: m[1]![0]!, len: m[1]!.length };
      lines[i] = blank(line);
      continue;
    }
    if (line.includes("`")) lines[i] = line.replace(/(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g, blank);
  }
  let out = lines.join("\n");
  if (out.includes("%%")) out = out.replace(/%%[\s\S]*?(?:%%|$)/g, blank);
  if (out.includes("<!--")) out = out.replace(/<!--[\s\S]*?(?:-->|$)/g, blank);
  return out;
}

const WIKILINK_RE = /(!?)\[\[([^[\]\n]+?)\]\]/g;
const MDLINK_RE = /(!?)\[((?:[^[\]\n]|\[[^[\]\n]*\])*)\]\(\s*(<[^<>\n]+>|[^()\s]+(?:\([^()\s]*\)[^()\s]*)*)(?:\s+(?:"[^"\n]*"|'[^'\n]*'))?\s*\)/g;

/** Parses the inside of `[[...]]` into target, heading/block id and display text. */
export function parseWikiTarget(inner: string, embed: boolean): ParsedLink {
  const unescaped = inner.replace(/\\\|/g, "|");
  const bar = unescaped.indexOf("|");
  const ref = bar === -1 ? unescaped : unescaped.slice(0, bar);
  const link: ParsedLink = { kind: embed ? "embed" : "wikilink", target: "" };
  const hash = ref.indexOf("#");
  link.target = (hash === -1 ? ref : ref.slice(0, hash)).trim();
  if (hash !== -1) {
    const sub = ref.slice(hash + 1).trim();
    if (sub.startsWith("^")) link.blockId = sub.slice(1);
    else if (sub !== "") link.heading = sub;
  }
  if (bar !== -1) link.display = unescaped.slice(bar + 1).trim();
  return link;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Extracts links from masked markdown (see {@link maskCode}): wikilinks, embeds and markdown links to `.md` files
 * (no URL scheme). Returns the links in document order and the text with every link replaced by spaces (for tag scanning).
 */
export function extractLinks(masked: string): { links: ParsedLink[]; rest: string } {
  const found: { at: number; link: ParsedLink }[] = [];
  let rest = masked;
  if (masked.includes("[[")) {
    rest = rest.replace(WIKILINK_RE, (all: string, bang: string, inner: string, at: number) => {
      found.push({ at, link: parseWikiTarget(inner, bang === "!") });
      return blank(all);
    });
  }
  if (rest.includes("](")) {
    rest = rest.replace(MDLINK_RE, (all: string, _bang: string, text: string, dest: string, at: number) => {
      let url = dest.startsWith("<") ? dest.slice(1, -1) : dest;
      if (/^[a-z][a-z0-9+.-]*:/i.test(url) || url.startsWith("//")) return all;
      const hash = url.indexOf("#");
      const frag = hash === -1 ? "" : safeDecode(url.slice(hash + 1));
      url = safeDecode(hash === -1 ? url : url.slice(0, hash));
      if (!url.toLowerCase().endsWith(".md")) return all;
      const link: ParsedLink = { kind: "markdown", target: url };
      if (frag.startsWith("^")) link.blockId = frag.slice(1);
      else if (frag !== "") link.heading = frag;
      if (text.trim() !== "") link.display = text.trim();
      found.push({ at, link });
      return blank(all);
    });
  }
  found.sort((a, b) => a.at - b.at);
  return { links: found.map((f) => f.link), rest };
}

// A tag: `#` at line start or after whitespace, then letters, digits, marks, `_`, `-`, `/`; at least one
// character that is not a digit or `/` (`#123` is not a tag).
const TAG_RE = /(?<=^|\s)#([\p{L}\p{N}\p{M}\p{Extended_Pictographic}_\-/]+)/gu;

/** Inline `#tags` in masked, link-free text, without the `#`, trailing `/` trimmed, in order (duplicates kept). */
export function extractInlineTags(text: string): string[] {
  if (!text.includes("#")) return [];
  const tags: string[] = [];
  for (const m of text.matchAll(TAG_RE)) {
    const tag = m[1]!.replace(/\/+$/, "").replace(/^\/+/, "");
    if (tag !== "" && /[^\d/]/u.test(tag)) tags.push(tag);
  }
  return tags;
}

/** The text of the first level-1 ATX heading (`# Title`) in masked text, taken from the original `text`. */
export function firstH1(masked: string, text: string): string | undefined {
  const m = /^ {0,3}# +(.+?)(?:\s+#+)?\s*$/m.exec(masked);
  if (!m) return undefined;
  const start = m.index + m[0].indexOf(m[1]!);
  const title = text.slice(start, start + m[1]!.length).trim();
  return title === "" ? undefined : title;
}

/** Wikilinks inside frontmatter string values (Obsidian 1.4+ properties such as `related: "[[Note]]"`). */
export function frontmatterLinks(data: unknown, out: ParsedLink[] = []): ParsedLink[] {
  if (typeof data === "string") {
    if (data.includes("[[")) for (const m of data.matchAll(WIKILINK_RE)) out.push(parseWikiTarget(m[2]!, m[1] === "!"));
  } else if (Array.isArray(data)) {
    for (const v of data) frontmatterLinks(v, out);
  } else if (data !== null && typeof data === "object") {
    for (const v of Object.values(data)) frontmatterLinks(v, out);
  }
  return out;
}
