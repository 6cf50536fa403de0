/**
 * Splitting a long reply into chat-sized messages (issue 6): paragraph, then line, then sentence, then word
 * boundaries, a hard cut last; never inside a fenced code block when that can be avoided, and when a code block
 * is itself too long, each piece is closed and reopened (same fence and language tag) so every message renders.
 *
 * Lengths are JavaScript string lengths (UTF-16 code units), which is what Telegram and Discord count; a
 * surrogate pair is never split.
 */

/** Options of {@link splitMessage} and {@link takeChunk}. */
export interface SplitOptions {
  /** Most UTF-16 code units per chunk (Telegram 4096, Discord 2000). An integer >= 2. */
  maxChars: number;
}

/** One fenced code block found in a text, as offsets into that text. */
interface Fence {
  /** Offset of the opening fence line. */
  start: number;
  /** Offset of the end of the opening fence line (its `\n`, or the end of the text). */
  openEnd: number;
  /** Offset of the closing fence line, or the end of the text when the fence is never closed. */
  closeStart: number;
  /** Offset just after the closing fence line (before its `\n`), or the end of the text. */
  end: number;
  /** The opening line as written, e.g. "```ts", reused to reopen the block in the next chunk. */
  openLine: string;
  /** The closing line to append when a chunk ends inside the block, e.g. "```". */
  closeLine: string;
}

/** A chosen cut: the chunk is `text.slice(0, end)`, the rest starts at `resume`. */
interface Cut {
  end: number;
  resume: number;
  /** Set when the cut falls inside this code block (close it here, reopen it in the rest). */
  fence?: Fence;
}

const FENCE_LINE = /^([ \t]*)(`{3,}|~{3,})([^\r]*)\r?$/;

/** Boundary kinds in order of preference; each regex marks where a chunk may end (`end`) and the rest start. */
const LEVELS: ReadonlyArray<{ re: RegExp; endOffset: (m: RegExpExecArray) => number }> = [
  { re: /\n(?:[ \t]*\r?\n)+/g, endOffset: () => 0 }, // paragraph
  { re: /\r?\n/g, endOffset: () => 0 }, // line
  { re: /[.!?\u2026]+["'\u201d\u2019)\]]*[ \t]+/g, endOffset: (m) => m[0].trimEnd().length }, // sentence
  { re: /[ \t]+/g, endOffset: () => 0 }, // word
];

function scanFences(text: string, maxChars: number): Fence[] {
  const fences: Fence[] = [];
  let open: Omit<Fence, "closeStart" | "end"> | undefined;
  let pos = 0;
  for (;;) {
    const nl = text.indexOf("\n", pos);
    const lineEnd = nl === -1 ? text.length : nl;
    const m = FENCE_LINE.exec(text.slice(pos, lineEnd));
    if (m) {
      const [line, indent = "", marker = "", info = ""] = m;
      if (open) {
        const closes = marker[0] === open.closeLine.trim()[0] && marker.length >= open.closeLine.trim().length;
        if (closes && info.trim() === "") {
          fences.push({ ...open, closeStart: pos, end: lineEnd });
          open = undefined;
        }
      } else if (!(marker[0] === "`" && info.includes("`"))) {
        open = { start: pos, openEnd: lineEnd, openLine: line.replace(/\r$/, ""), closeLine: indent + marker };
      }
    }
    if (nl === -1) break;
    pos = nl + 1;
  }
  if (open) fences.push({ ...open, closeStart: text.length, end: text.length });
  // A fence whose reopen + close overhead would eat half a chunk is treated as plain text.
  return fences.filter((f) => f.openLine.length + f.closeLine.length + 2 <= maxChars / 2);
}

function fenceAround(fences: readonly Fence[], pos: number): Fence | undefined {
  return fences.find((f) => f.start < pos && pos < f.end);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** `pos`, moved back one code unit when it would fall between the halves of a surrogate pair. */
function safeCut(text: string, pos: number): number {
  return pos > 1 && isHighSurrogate(text.charCodeAt(pos - 1)) ? pos - 1 : pos;
}

/** Candidates of one boundary level that end a chunk of at most `maxChars` and lie outside code blocks. */
function candidates(text: string, maxChars: number, fences: readonly Fence[], level: number): Cut[] {
  const spec = LEVELS[level];
  if (!spec) return [];
  const re = new RegExp(spec.re.source, "g");
  const window = text.slice(0, maxChars + 2);
  const cuts: Cut[] = [];
  for (let m = re.exec(window); m !== null; m = re.exec(window)) {
    const end = m.index + spec.endOffset(m);
    if (end > maxChars) break;
    if (end > 0 && !fenceAround(fences, end)) cuts.push({ end, resume: m.index + m[0].length });
  }
  return cuts;
}

function chooseCut(text: string, maxChars: number): Cut {
  const fences = scanFences(text, maxChars);
  const minFill = Math.floor(maxChars / 2);
  const all: Cut[] = [];
  for (let level = 0; level < LEVELS.length; level++) {
    const cuts = candidates(text, maxChars, fences, level);
    const best = cuts.findLast((c) => c.end >= minFill);
    if (best) return best;
    all.push(...cuts);
  }
  const f = fenceAround(fences, maxChars);
  if (f) {
    // Ending here would cut this code block. Move the whole block to the next chunk when it fits there...
    if (f.end - f.start <= maxChars && text.slice(0, f.start).trim() !== "") {
      return { end: f.start, resume: f.start };
    }
    // ...else fill this chunk with whole code lines, leaving room to close the fence.
    const room = maxChars - f.closeLine.length - 1;
    const nl = text.lastIndexOf("\n", Math.min(room, f.closeStart - 2));
    if (nl > f.openEnd) return { end: nl, resume: nl + 1, fence: f };
    const hard = safeCut(text, room);
    if (hard > f.openEnd + 1) return { end: hard, resume: hard, fence: f };
    if (text.slice(0, f.start).trim() !== "") return { end: f.start, resume: f.start };
  }
  const last = all.filter((c) => text.slice(0, c.end).trim() !== "").sort((a, b) => a.end - b.end).at(-1);
  if (last) return last;
  const hard = safeCut(text, maxChars);
  return { end: hard, resume: hard };
}

function checkMax(maxChars: number): void {
  if (!Number.isInteger(maxChars) || maxChars < 2) {
    throw new RangeError(`maxChars must be an integer >= 2, got ${maxChars}`);
  }
}

/**
 * Takes the first chunk (at most `maxChars` UTF-16 code units) off `text`, choosing the cut as
 * {@link splitMessage} does. When the cut falls inside a code block, `chunk` ends with a closing fence and
 * `rest` starts with the reopened fence line. `rest` is `""` when `text` fit whole. `midLine` is true when
 * the cut fell inside a line (a sentence, word or hard cut), so `rest` does not start a line of the original.
 * Used by the per-platform formatters to re-fit a chunk that grew when converted.
 *
 * @throws RangeError when `maxChars` is not an integer >= 2.
 */
export function takeChunk(text: string, opts: SplitOptions): { chunk: string; rest: string; midLine: boolean } {
  checkMax(opts.maxChars);
  if (text.length <= opts.maxChars) return { chunk: text, rest: "", midLine: false };
  const cut = chooseCut(text, opts.maxChars);
  if (cut.fence) {
    return {
      chunk: `${text.slice(0, cut.end)}\n${cut.fence.closeLine}`,
      rest: `${cut.fence.openLine}\n${text.slice(cut.resume)}`,
      midLine: false,
    };
  }
  const midLine = cut.resume > 0 && text[cut.resume - 1] !== "\n";
  return { chunk: text.slice(0, cut.end), rest: text.slice(cut.resume), midLine };
}

/** Trims a chunk for sending: leading blank lines and trailing whitespace go; indentation stays. */
export function tidyChunk(chunk: string): string {
  return chunk.replace(/^(?:[ \t]*\r?\n)+/, "").trimEnd();
}

/**
 * Splits a reply into messages of at most `opts.maxChars` UTF-16 code units each, in order.
 *
 * Boundaries are preferred in this order: paragraph (blank line), line, sentence, word, then a hard cut
 * (never between the two halves of a surrogate pair). A boundary is only taken when it fills at least half a
 * chunk, else the next kind is tried. A fenced code block (``` or ~~~) is never cut when it fits in one chunk;
 * a longer one is cut between code lines, closed at the end of the chunk and reopened (same fence and language
 * tag) at the start of the next, so every chunk renders. Blank lines at chunk starts and whitespace at chunk ends
 * are trimmed; whitespace-only chunks are dropped (so `""` gives `[]`).
 *
 * Source: issue 6 (Telegram 4096, Discord 2000 characters; both count UTF-16 code units).
 *
 * @throws RangeError when `opts.maxChars` is not an integer >= 2.
 */
export function splitMessage(text: string, opts: SplitOptions): string[] {
  checkMax(opts.maxChars);
  const chunks: string[] = [];
  let rest = text;
  while (rest.trim() !== "") {
    const { chunk, rest: next } = takeChunk(rest, opts);
    const tidy = tidyChunk(chunk);
    if (tidy !== "") chunks.push(tidy);
    rest = next;
  }
  return chunks;
}
