import { isMap, isScalar, isSeq, type CST, type Document, type Pair, type YAMLMap, type YAMLSeq } from "yaml";

/** A map around the node being visited, and the index of the pair that holds it. */
interface Frame {
  map: YAMLMap;
  index: number;
}

type BlockToken = CST.BlockMap | CST.BlockSequence;

const tokenOf = (node: YAMLMap | YAMLSeq): BlockToken | undefined => {
  const t = (node as { srcToken?: CST.Token }).srcToken;
  return t && (t.type === "block-map" || t.type === "block-seq") ? t : undefined;
};

/**
 * Puts the comments of a document parsed with `keepSourceTokens: true` back where they were written, so that
 * `doc.toString()` prints them there. The `yaml` package (2.x) attaches every comment that follows a nested
 * block to that block, also the less indented ones that introduce the next key of an outer map
 * (eemeli/yaml#41: `# Named models.` above `models:` would come out indented under the previous section), and
 * moves a comment written after `key:` on the key's own line to the line below (eemeli/yaml#602). This moves the
 * former to the outer map at the comment's own indentation (before that map's next key, else as its trailing
 * comment) and the latter back onto the key's line. Other comments are left as the package placed them.
 */
export function placeComments(doc: Document): void {
  visit(doc.contents, []);
}

function visit(node: unknown, outer: Frame[]): void {
  if (!(isMap(node) || isSeq(node)) || node.flow) return;
  const token = tokenOf(node);
  const last = token?.items.at(-1) as { start: CST.SourceToken[]; key?: unknown; sep?: unknown; value?: unknown } | undefined;
  if (token && last && !last.key && !last.sep && !last.value) hoist(node, last.start, token.indent, outer, true);
  if (isSeq(node)) {
    for (const item of node.items) visit(item, outer);
    return;
  }
  (node.items as Pair[]).forEach((pair, index) => {
    const candidate = token?.type === "block-map" ? token.items[index] : undefined;
    const item = candidate?.key && (pair.key as { srcToken?: unknown } | null)?.srcToken === candidate.key ? candidate : undefined;
    const frames = [...outer, { map: node, index }];
    keyLineComment(pair, item);
    // `key:` without a value: the comments below it up to the next key are the value's, less indented ones are not
    if (item?.sep && isScalar(pair.value) && pair.value.value === null) {
      hoist(pair.value, item.sep, (token?.indent ?? 0) + 1, frames, false);
      // what stays was written below `key:`; as a comment it would be printed after `key:` on its line
      const nl = item.sep.findIndex((t) => t.type === "newline");
      if (nl >= 0 && !item.sep.slice(0, nl).some((t) => t.type === "comment") && pair.value.comment) {
        pair.value.commentBefore = pair.value.comment;
        pair.value.comment = null;
      }
    }
    visit(pair.value, frames);
  });
}

/** Moves a comment that sat on the `key:` line back onto it (the package made it the value's `commentBefore`). */
function keyLineComment(pair: Pair, item: CST.BlockMap["items"][number] | undefined): void {
  const value = pair.value;
  if (!item?.sep || !isScalar(pair.key) || pair.key.comment || !(isMap(value) || isSeq(value)) || !value.commentBefore) return;
  const sameLine = item.sep.slice(0, item.sep.findIndex((t) => t.type === "newline") >>> 0).find((t) => t.type === "comment");
  const [first, ...rest] = value.commentBefore.split("\n");
  if (!sameLine || first !== sameLine.source.slice(1)) return;
  pair.key.comment = first;
  value.commentBefore = rest.length > 0 ? rest.join("\n") : undefined;
}

/**
 * Moves the comment lines of `holder` (a collection's trailing comment, or that of a `key:` without a value),
 * written as `tokens`, that are indented less than `indent` out to the outer map they belong to.
 */
function hoist(holder: { comment?: string | null }, tokens: CST.SourceToken[], indent: number, outer: Frame[], atLineStart: boolean): void {
  if (!holder.comment || outer.length === 0) return;
  const columns: number[] = []; // of each comment line; Infinity for one after a value on the same line
  let col = 0;
  for (const t of tokens) {
    if (t.type === "space") col = atLineStart ? t.source.length : Infinity;
    else if (t.type === "comment") columns.push(atLineStart ? col : Infinity);
    if (t.type !== "space") {
      col = 0;
      atLineStart = t.type === "newline";
    }
  }
  const lines = holder.comment.split("\n"); // comment lines, and "" for a blank line between them
  const commentLines = lines.flatMap((l, i) => (l === "" ? [] : [i]));
  const first = columns.findIndex((c) => c < indent);
  if (first < 0 || commentLines.length !== columns.length) return;
  // Each moved line goes to the innermost outer map indented no deeper than it (and no deeper than the line before).
  const indentOf = (f: Frame) => tokenOf(f.map)?.indent ?? 0;
  const groups: Array<{ frame: Frame; lines: string[] }> = [];
  let depth = outer.length - 1;
  let start = commentLines[first]!;
  while (start > 0 && lines[start - 1] === "") start--;
  let blanks: string[] = [];
  for (let i = start, c = first; i < lines.length; i++) {
    if (lines[i] === "") {
      blanks.push("");
      continue;
    }
    const column = columns[c++]!;
    while (depth > 0 && indentOf(outer[depth]!) > column) depth--;
    const group = groups.at(-1);
    if (group && group.frame === outer[depth]) group.lines.push(...blanks, lines[i]!);
    else groups.push({ frame: outer[depth]!, lines: [...blanks, lines[i]!] });
    blanks = [];
  }
  holder.comment = lines.slice(0, start).join("\n") || null;
  for (const { frame, lines: text } of groups.reverse()) {
    const blankBefore = text[0] === "";
    const body = text.slice(text.findIndex((l) => l !== "")).join("\n");
    const next = frame.map.items[frame.index + 1] as Pair | undefined;
    if (next && isScalar(next.key)) {
      next.key.commentBefore = next.key.commentBefore ? `${body}\n${next.key.commentBefore}` : body;
      if (blankBefore) next.key.spaceBefore = true;
    } else {
      frame.map.comment = `${blankBefore ? "\n" : ""}${body}${frame.map.comment ? `\n${frame.map.comment}` : ""}`;
    }
  }
}
