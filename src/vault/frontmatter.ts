import { parseDocument, Schema, stringify } from "yaml";
import { isDeepStrictEqual } from "node:util";

/**
 * A note split at its frontmatter block. `block` is the exact leading bytes (BOM, `---` line, YAML, closing
 * `---` line and its line break; `""` or just the BOM when there is none) and `body` the rest, so
 * `block + body === text` always holds. `yaml` is the text between the delimiters (`undefined` without a block).
 */
export interface FrontmatterSplit {
  block: string;
  yaml: string | undefined;
  body: string;
}

// Obsidian's rule: `---` alone on the first line, closed by the next line that is exactly `---`.
const BLOCK_RE = /^---[ \t]*\r?\n(?:([\s\S]*?)\r?\n)?---[ \t]*(?:\r?\n|$)/;

/** Splits `text` into frontmatter block and body, see {@link FrontmatterSplit}. Never throws. */
export function splitFrontmatter(text: string): FrontmatterSplit {
  const bom = text.startsWith("\uFEFF") ? "\uFEFF" : "";
  const rest = bom ? text.slice(1) : text;
  const m = BLOCK_RE.exec(rest);
  if (!m) return { block: bom, yaml: undefined, body: rest };
  return { block: bom + m[0], yaml: m[1] ?? "", body: rest.slice(m[0].length) };
}

/** True when `text` begins with a frontmatter block (after an optional BOM). */
export function hasFrontmatter(text: string): boolean {
  return splitFrontmatter(text).yaml !== undefined;
}

/**
 * How frontmatter YAML is read: YAML 1.2's core schema plus timestamps and `<<` merge keys (the default schema
 * of js-yaml 4); so `2024-01-31` is a date (given back as that string), `10:30` stays text and `017` is 17 (YAML
 * 1.2; gray-matter's js-yaml 3 read them as base-60 630 and octal 15). Errors and warnings (an unknown tag) are
 * collected, not thrown or logged. Built once: building the schema on every call doubled the cost of a parse.
 */
const PARSE_OPTIONS = { schema: new Schema({ schema: "core", customTags: ["timestamp"], merge: true }), logLevel: "silent" } as const;

/** Most values a frontmatter may expand to (YAML aliases can make a small block expand exponentially). */
const MAX_FRONTMATTER_NODES = 10_000;

/**
 * Copies a parsed YAML value into plain JSON: dates become `YYYY-MM-DD` (midnight UTC, as YAML dates are read)
 * or full ISO strings, non-finite numbers `null`, other non-JSON values are dropped. Throws past
 * {@link MAX_FRONTMATTER_NODES} values.
 */
function toJson(value: unknown, budget: { left: number }): unknown {
  if (--budget.left < 0) throw new Error("frontmatter too large");
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return null;
    const iso = value.toISOString();
    return iso.endsWith("T00:00:00.000Z") ? iso.slice(0, 10) : iso;
  }
  if (Array.isArray(value)) return value.map((v) => toJson(v, budget) ?? null);
  if (typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const j = toJson(v, budget);
      if (j !== undefined) Object.defineProperty(out, k, { value: j, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return undefined;
}

/**
 * Parses the YAML of a frontmatter block (see {@link PARSE_OPTIONS}). Returns `{}` when the YAML is empty,
 * invalid (e.g. duplicate keys, an unknown `!tag`), not a mapping, or expands to too many values (YAML aliases;
 * Obsidian shows such properties as invalid; the bytes are kept untouched on content-only writes). Values are
 * JSON (see {@link toJson}).
 */
export function parseFrontmatterYaml(yaml: string): Record<string, unknown> {
  if (yaml.trim() === "") return {};
  try {
    const doc = parseDocument(yaml, PARSE_OPTIONS);
    if (doc.errors.length > 0 || doc.warnings.length > 0) return {};
    const data: unknown = doc.toJS();
    if (data === null || typeof data !== "object" || Array.isArray(data)) return {};
    return toJson(data, { left: MAX_FRONTMATTER_NODES }) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** Serialises frontmatter to a block (`---\n<yaml>---\n`), or `""` for an empty object. */
export function stringifyFrontmatter(data: Record<string, unknown>): string {
  if (Object.keys(data).length === 0) return "";
  return `---\n${stringify(data, { lineWidth: 0 })}---\n`;
}

/** True when two frontmatter objects are equal as JSON values (key order ignored). */
export function sameFrontmatter(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return isDeepStrictEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)));
}

function splitList(value: unknown, sep: RegExp): string[] {
  const items = Array.isArray(value) ? value : typeof value === "string" ? value.split(sep) : value == null ? [] : [value];
  const out: string[] = [];
  for (const item of items) {
    if (item == null || typeof item === "object") continue;
    const s = String(item).trim();
    if (s !== "") out.push(s);
  }
  return out;
}

/**
 * Tags from frontmatter `tags` (or legacy `tag`): a list or a string separated by commas/spaces; a leading `#`
 * is dropped. Source: https://help.obsidian.md/Editing+and+formatting/Tags
 */
export function frontmatterTags(data: Record<string, unknown>): string[] {
  const raw = [...splitList(data.tags, /[,\s]+/), ...splitList(data.tag, /[,\s]+/)];
  return raw.map((t) => t.replace(/^#+/, "")).filter((t) => t !== "");
}

/** Aliases from frontmatter `aliases` (or legacy `alias`): a list, or a string separated by commas. */
export function frontmatterAliases(data: Record<string, unknown>): string[] {
  return [...splitList(data.aliases, /,/), ...splitList(data.alias, /,/)];
}
