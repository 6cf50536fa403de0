/**
 * Splitting markdown so that each chunk still fits the platform's limit after conversion to the platform's
 * markup (which can grow: `<` becomes `&lt;`, `**b**` becomes `<b>b</b>`). Chunks are cut from the markdown,
 * never from the markup, so each one is converted whole and stays valid on its own.
 */
import { takeChunk, tidyChunk } from "./split-message.js";

/**
 * Backslash-escapes a block marker (`>`, `#`, `- `, `1. `, a fence) at the start of text that continues a line
 * cut mid-way, so the continuation is not read as a quote, heading, list item or code block.
 */
function escapeLeadingMarker(text: string): string {
  const ordered = /^(\d{1,9})([.)][ \t])/.exec(text);
  if (ordered) return `${ordered[1]}\\${text.slice(ordered[1]!.length)}`;
  return /^(?:>|#{1,6}(?:[ \t]|$)|[-*+](?:[ \t]|$)|`{3}|~{3}|([-*_])(?:[ \t]*\1){2,}[ \t]*$)/.test(text.split("\n", 1)[0]!)
    ? `\\${text}`
    : text;
}

/**
 * Splits `markdown` with the same boundary rules as `splitMessage`, converts each chunk with `render` and
 * guarantees `measure(result) <= maxChars` for every element. A chunk whose rendering is too long is cut again
 * from the same point with a proportionally smaller limit, so chunks stay as full as they can be, in order.
 * Text continuing a line cut mid-way has its leading block marker escaped. Whitespace-only renderings are
 * dropped; each rendering is trimmed at its end.
 *
 * @param maxChars the platform's limit, in the units of `measure`; an integer >= 2 (>= 64 in practice).
 * @param measure length of a rendered chunk as the platform counts it; default UTF-16 code units
 *   (`s.length`). Must be <= `s.length` for the re-fit to converge.
 * @throws RangeError when `maxChars` is not an integer >= 2, or so small that a single character's rendering
 *   does not fit.
 */
export function fitChunks(
  markdown: string,
  maxChars: number,
  render: (markdown: string) => string,
  measure: (rendered: string) => number = (s) => s.length,
): string[] {
  const out: string[] = [];
  let rest = markdown;
  while (rest.trim() !== "") {
    let limit = maxChars;
    for (;;) {
      const { chunk, rest: next, midLine } = takeChunk(rest, { maxChars: limit });
      const source = tidyChunk(chunk);
      const rendered = source === "" ? "" : render(source).trimEnd();
      const size = measure(rendered);
      if (size <= maxChars) {
        if (rendered.trim() !== "") out.push(rendered);
        rest = midLine ? escapeLeadingMarker(next) : next;
        break;
      }
      const ratio = Math.floor((source.length * maxChars) / size);
      limit = ratio < source.length ? ratio : source.length - Math.max(1, size - maxChars);
      if (limit < 2) throw new RangeError(`maxChars ${maxChars} is too small for the rendered text`);
    }
  }
  return out;
}
