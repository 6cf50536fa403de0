import { frontmatterAliases, frontmatterTags, parseFrontmatterYaml, splitFrontmatter } from "./frontmatter.js";
import { extractInlineTags, extractLinks, firstH1, frontmatterLinks, maskCode } from "./markdown.js";
import type { ParsedLink } from "./types.js";

/**
 * A note parsed the way Obsidian reads it.
 * - `block`/`body`: the frontmatter block bytes and the rest (`block + body` is the file text).
 * - `title`: frontmatter `title` (a string), else the first `# H1`, else the file name without `.md`.
 * - `tags`: frontmatter tags then inline tags, deduplicated case-insensitively (first spelling kept).
 * - `aliases`: frontmatter aliases, deduplicated case-insensitively.
 * - `links`: body links in order, then wikilinks found in frontmatter values.
 */
export interface ParsedNote {
  block: string;
  body: string;
  frontmatter: Record<string, unknown>;
  title: string;
  tags: string[];
  aliases: string[];
  links: ParsedLink[];
}

function dedupeCi(items: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const item of items) {
    const key = item.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(item);
  }
  return out;
}

/** The file name of a vault path without folder and `.md`: `a/My Note.md` → `My Note`. */
export function noteBasename(path: string): string {
  const name = path.slice(path.lastIndexOf("/") + 1);
  return name.toLowerCase().endsWith(".md") ? name.slice(0, -3) : name;
}

/**
 * Parses a note's text (links and tags inside fenced code, inline code and comments are ignored; `# Heading`
 * lines are headings, not tags). Never throws: invalid YAML frontmatter yields `frontmatter: {}`.
 */
export function parseNote(text: string, path: string): ParsedNote {
  const { block, yaml, body } = splitFrontmatter(text);
  const frontmatter = yaml === undefined ? {} : parseFrontmatterYaml(yaml);
  const masked = maskCode(body);
  const { links, rest } = extractLinks(masked);
  if (yaml !== undefined) frontmatterLinks(frontmatter, links);
  const tags = dedupeCi([...frontmatterTags(frontmatter), ...extractInlineTags(rest)]);
  const aliases = dedupeCi(frontmatterAliases(frontmatter));
  const fmTitle = typeof frontmatter.title === "string" && frontmatter.title.trim() !== "" ? frontmatter.title.trim() : undefined;
  const title = fmTitle ?? firstH1(masked, body) ?? noteBasename(path);
  return { block, body, frontmatter, title, tags, aliases, links };
}
