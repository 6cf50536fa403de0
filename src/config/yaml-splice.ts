import { isDeepStrictEqual } from "node:util";
import { isMap, isPair, isScalar, isSeq, parseDocument, stringify, type Node, type Pair, type Scalar, type YAMLMap, type YAMLSeq } from "yaml";
import { isSecretPath } from "./mask.js";
import type { MergeOptions } from "./yaml-merge.js";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const keyOf = (p: Pair): string => String(isScalar(p.key) ? p.key.value : p.key);

interface Edit {
  start: number;
  end: number;
  text: string;
}

/** Thrown inside to give up on a shape this splicer does not edit (flow maps with content, type changes). */
class Unsupported extends Error {}

/** The keys of `next` that differ from `base`, recursively for objects (what must be written when a key is new). */
function minimalDiff(base: unknown, next: unknown): unknown {
  if (!isObject(base) || !isObject(next)) return next;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(next)) if (!isDeepStrictEqual(base[k], v)) out[k] = minimalDiff(base[k], v);
  return out;
}

const PLAIN_FLOW = /^[A-Za-z_][A-Za-z0-9_./-]*$/;
const KEYWORDS = /^(true|false|null|yes|no|on|off|y|n|~)$/i;

/** A scalar as YAML text for one line: what `yaml` would print, or a JSON string when that needs several lines. */
function inline(value: unknown): string {
  if (typeof value !== "string") return value === null ? "null" : String(value);
  const s = stringify(value, { lineWidth: 0 }).trimEnd();
  return s.includes("\n") ? JSON.stringify(value) : s;
}

/** A value inside a flow collection (`[a, "b c"]`): commas and brackets must be quoted there. */
function flowItem(value: unknown): string {
  if (typeof value === "string") return PLAIN_FLOW.test(value) && !KEYWORDS.test(value) ? value : JSON.stringify(value);
  if (Array.isArray(value) || isObject(value)) return JSON.stringify(value);
  return inline(value);
}

/**
 * Rewrites the text of agentd.yaml into one describing `next` by splicing only the changed spots, so every
 * byte elsewhere (comments and their indentation, blank lines, quoting, key order) stays as it was. Same
 * contract as `mergeIntoDocument` (yaml-merge.ts), which stays the reference: the writer uses this text only
 * when both parse to the same document. Returns undefined for shapes it does not edit (a key added to or removed
 * from a flow map `{ … }`, a value changing between map and scalar, a non-map root); the caller then falls back to the document API.
 */
export function spliceYaml(source: string, base: unknown, next: Record<string, unknown>, opts: MergeOptions = {}): string | undefined {
  const doc = parseDocument(source);
  if (doc.errors.length > 0) return undefined;
  const edits: Edit[] = [];
  const lineStart = (at: number) => source.lastIndexOf("\n", at - 1) + 1;
  const colOf = (at: number) => at - lineStart(at);
  const lineEnd = (at: number) => {
    if (at > 0 && source[at - 1] === "\n") return at;
    const i = source.indexOf("\n", at);
    return i < 0 ? source.length : i + 1;
  };
  /** End offset of the last value text of a node (before trailing comments). */
  const contentEnd = (node: unknown, fallback: number): number => {
    if (isMap(node) || isSeq(node)) {
      if (node.flow || node.items.length === 0) return node.range?.[1] ?? fallback;
      const last = node.items[node.items.length - 1];
      if (isPair(last)) return contentEnd(last.value, (last.key as Node | null)?.range?.[1] ?? fallback);
      return contentEnd(last, fallback);
    }
    const r = (node as Node | null)?.range;
    return r ? Math.max(r[1], fallback) : fallback;
  };
  /** After `from` (a line end), the end of the following comment lines indented at least `minCol`. */
  const skipComments = (from: number, minCol: number): number => {
    let pos = from;
    let committed = from;
    while (pos < source.length) {
      const nl = source.indexOf("\n", pos);
      const end = nl < 0 ? source.length : nl + 1;
      const line = source.slice(pos, end);
      if (/^\s*$/.test(line)) {
        pos = end;
        continue;
      }
      const m = /^(\s*)#/.exec(line);
      if (!m || m[1]!.length < minCol) break;
      pos = end;
      committed = end;
    }
    return committed;
  };
  const withSecrets = (value: unknown, path: string[], current?: Scalar): unknown => {
    if (typeof value === "string") return opts.secret && isSecretPath(path) ? opts.secret(path, value, current) : value;
    if (Array.isArray(value)) return value.map((v, i) => withSecrets(v, [...path, String(i)]));
    if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withSecrets(v, [...path, k])]));
    return value;
  };
  const block = (value: Record<string, unknown>, indent: number): string => {
    const text = stringify(value, { lineWidth: 0, indent: 2 });
    return text.split("\n").filter((l, i, all) => l !== "" || i < all.length - 1).map((l) => (l === "" ? "" : " ".repeat(indent) + l)).join("\n") + "\n";
  };
  /** Removes the text of an empty value (`~`, `{}`) and the spaces before it, leaving `key:`. */
  const clearValue = (range: readonly number[]) => {
    let start = range[0]!;
    while (start > 0 && source[start - 1] === " ") start--;
    edits.push({ start, end: range[1]!, text: "" });
  };
  const insertAt = (at: number, text: string) => {
    const needsNewline = at > 0 && source[at - 1] !== "\n";
    edits.push({ start: at, end: at, text: needsNewline ? `\n${text}` : text });
  };

  const editSeq = (seq: YAMLSeq, oldValue: unknown, value: unknown[]): void => {
    const old = Array.isArray(oldValue) ? oldValue : [];
    const same = (i: number) => i < seq.items.length && isDeepStrictEqual(old[i], value[i]);
    const start = seq.range![0];
    if (seq.flow || value.length === 0) {
      const items = value.map((v, i) => {
        const item = seq.items[i];
        return same(i) && isScalar(item) && item.range ? source.slice(item.range[0], item.range[1]) : flowItem(v);
      });
      edits.push({ start, end: seq.flow ? seq.range![1] : contentEnd(seq, start), text: `[${items.join(", ")}]` });
      return;
    }
    // a block list: edit item by item, so unchanged items keep their text and comments
    const render = (v: unknown) => (Array.isArray(v) || isObject(v) ? flowItem(v) : inline(v));
    const col = colOf(start);
    for (let i = 0; i < seq.items.length; i++) {
      const item = seq.items[i] as Node;
      if (i >= value.length) edits.push({ start: lineStart(item.range![0]), end: lineEnd(contentEnd(item, item.range![1])), text: "" });
      else if (!same(i)) {
        if (!isScalar(item) || !item.range) throw new Unsupported();
        edits.push({ start: item.range[0], end: item.range[1], text: render(value[i]) });
      }
    }
    const added = value.slice(seq.items.length).map((v) => `${" ".repeat(col)}- ${render(v)}\n`).join("");
    if (added) insertAt(lineEnd(contentEnd(seq, start)), added);
  };

  const editMap = (map: YAMLMap, base: Record<string, unknown>, next: Record<string, unknown>, path: string[], inFlow = false): void => {
    const flow = inFlow || !!map.flow;
    const pairs = map.items as Pair[];
    const keyCol = pairs.length > 0 ? colOf((pairs[0]!.key as Node).range![0]) : 0;
    const inserts: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(next)) {
      if (value === undefined || isDeepStrictEqual(base[key], value)) continue;
      const at = [...path, key];
      const pair = pairs.find((p) => keyOf(p) === key);
      if (!pair) {
        if (flow) throw new Unsupported();
        inserts[key] = withSecrets(minimalDiff(base[key], value), at);
        continue;
      }
      const v = pair.value as Node | null;
      const keyEnd = (pair.key as Node).range![1];
      const emptyScalar = v === null || (isScalar(v) && v.value === null);
      if (isObject(value)) {
        if (isMap(v) && v.items.length > 0) {
          editMap(v, isObject(base[key]) ? base[key] : {}, value, at, flow);
        } else if (!flow && ((isMap(v) && v.items.length === 0) || emptyScalar)) {
          // `key: {}`, `key:` or `key: ~`: a block map of the keys that differ, under the key's own commented children
          const text = block(withSecrets(minimalDiff(base[key], value), at) as Record<string, unknown>, keyCol + 2);
          if (v?.range && v.range[0] !== v.range[1]) clearValue(v.range);
          insertAt(skipComments(lineEnd(v?.range?.[1] ?? keyEnd), keyCol + 1), text);
        } else {
          throw new Unsupported();
        }
      } else if (Array.isArray(value)) {
        if (isSeq(v)) editSeq(v, base[key], value);
        else if (emptyScalar && v?.range && !flow) edits.push({ start: v.range[0], end: v.range[1], text: `${v.range[0] === v.range[1] ? " " : ""}[${value.map(flowItem).join(", ")}]` });
        else throw new Unsupported();
      } else if (isScalar(v) && v.range) {
        const secret = withSecrets(value, at, v);
        const text = flow ? flowItem(secret) : inline(secret);
        edits.push({ start: v.range[0], end: v.range[1], text: v.range[0] === v.range[1] ? ` ${text}` : text });
      } else {
        throw new Unsupported();
      }
    }
    for (const key of Object.keys(base)) {
      if (key in next && next[key] !== undefined) continue;
      const pair = pairs.find((p) => keyOf(p) === key);
      if (!pair) continue;
      if (flow) throw new Unsupported();
      const keyStart = (pair.key as Node).range![0];
      edits.push({ start: lineStart(keyStart), end: lineEnd(contentEnd(pair.value, (pair.key as Node).range![1])), text: "" });
    }
    if (Object.keys(inserts).length > 0) insertAt(skipComments(lineEnd(contentEnd(map, 0)), keyCol), block(inserts, keyCol));
  };

  try {
    const root = doc.contents;
    if (root === null || (isScalar(root) && root.value === null)) {
      insertAt(source.length, block(withSecrets(minimalDiff(base, next), []) as Record<string, unknown>, 0));
    } else if (isMap(root) && !root.flow) {
      editMap(root, isObject(base) ? base : {}, next, []);
    } else {
      return undefined;
    }
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
  edits.sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < edits.length; i++) if (edits[i]!.start < edits[i - 1]!.end) return undefined;
  let out = source;
  for (const e of edits.reverse()) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}
