import { isDeepStrictEqual } from "node:util";
import { isCollection, isMap, isScalar, parseDocument, type Document, type Pair, type Scalar, type YAMLMap } from "yaml";
import { isSecretPath } from "./mask.js";
import { placeComments } from "./yaml-comments.js";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Options of {@link rewriteYaml} and {@link mergeIntoDocument}. */
export interface MergeOptions {
  /**
   * Called for a secret (a string at a secret path) that changes; returns the text to write instead, e.g.
   * `${GROQ_API_KEY}` after putting the value into `.env`. `current` is the YAML scalar there now, if any.
   */
  secret?: (path: string[], value: string, current: Scalar | undefined) => string;
}

const keyOf = (p: Pair): string => String(isScalar(p.key) ? p.key.value : p.key);

/**
 * The text of agentd.yaml `source` rewritten to describe `next` through the `yaml` package's document API:
 * `source` itself when `next` equals `base`, else the document edited by {@link mergeIntoDocument} (comments
 * put back where they were written first, see `placeComments`) and printed with no line wrapping. Comments, key
 * order, quoting and `${ENV}` references of unchanged values survive; the shipped template round-trips byte for
 * byte. Throws the package's `YAMLParseError` when `source` is not valid YAML.
 */
export function rewriteYaml(source: string, base: unknown, next: Record<string, unknown>, opts: MergeOptions = {}): string {
  const doc = parseDocument(source, { keepSourceTokens: true });
  if (doc.errors.length > 0) throw doc.errors[0];
  if (isDeepStrictEqual(base, next)) return source;
  placeComments(doc);
  mergeIntoDocument(doc, base, next, opts);
  return doc.toString({ lineWidth: 0 });
}

/**
 * Edits a parsed agentd.yaml (the `yaml` package's document API) so that it describes `next`, touching only
 * what differs from `base` (the config the document produces now: `${ENV}` expanded, defaults applied).
 * Unchanged values keep their YAML node, so comments, key order, `${ENV}` references and omitted defaults
 * survive; changed scalars keep their comments; objects are merged key by key (new ones start as block maps,
 * taking over the comment of a `key:` whose children were all commented out); arrays are replaced whole (a flow
 * list stays a flow list); keys in `base` but not in `next` are removed from the document (a default then
 * applies again).
 */
export function mergeIntoDocument(doc: Document, base: unknown, next: Record<string, unknown>, opts: MergeOptions = {}): void {
  if (isDeepStrictEqual(base, next)) return;
  let root = doc.contents;
  if (!isMap(root)) {
    root = doc.createNode({}) as YAMLMap;
    doc.contents = root;
  }
  mergeMap(doc, root as YAMLMap, isObject(base) ? base : {}, next, [], opts);
}

function mergeMap(doc: Document, map: YAMLMap, base: Record<string, unknown>, next: Record<string, unknown>, path: string[], opts: MergeOptions): void {
  if (map.flow && map.items.length === 0) map.flow = false;
  for (const [key, value] of Object.entries(next)) {
    if (value === undefined || isDeepStrictEqual(base[key], value)) continue;
    const pair = (map.items as Pair[]).find((p) => keyOf(p) === key);
    const at = [...path, key];
    if (isObject(value)) {
      let child = pair?.value;
      if (!isMap(child)) {
        const fresh = doc.createNode({}) as YAMLMap;
        if (isScalar(child) && child.value === null) fresh.commentBefore = child.commentBefore ?? child.comment;
        if (pair) pair.value = fresh;
        else map.items.push(doc.createPair(key, fresh) as Pair<unknown, unknown>);
        child = fresh;
      }
      const old = base[key];
      mergeMap(doc, child as YAMLMap, isObject(old) ? old : {}, value, at, opts);
      continue;
    }
    const current = isScalar(pair?.value) ? (pair.value as Scalar) : undefined;
    const text = typeof value === "string" && opts.secret && isSecretPath(at) ? opts.secret(at, value, current) : value;
    if (current && !Array.isArray(text)) {
      current.value = text;
    } else {
      const node = doc.createNode(text);
      if (isCollection(node) && isCollection(pair?.value)) node.flow = pair.value.flow; // `[a, b]` stays a flow list
      if (pair) pair.value = node;
      else map.items.push(doc.createPair(key, node) as Pair<unknown, unknown>);
    }
  }
  for (const key of Object.keys(base)) {
    if (key in next && next[key] !== undefined) continue;
    const i = (map.items as Pair[]).findIndex((p) => keyOf(p) === key);
    if (i >= 0) map.items.splice(i, 1);
  }
}
