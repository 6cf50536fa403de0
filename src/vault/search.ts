import type Database from "better-sqlite3";
import { ValidationError } from "../errors.js";
import type { SearchHit } from "./types.js";

/** Default number of search hits. */
export const SEARCH_LIMIT_DEFAULT = 20;
/** Maximum number of search hits a caller may ask for. */
export const SEARCH_LIMIT_MAX = 100;

/**
 * Turns free user text into a safe FTS5 query (https://www.sqlite.org/fts5.html#full_text_query_syntax):
 * every term is a quoted string (so `AND`, `OR`, `NOT`, `NEAR`, `(`, `-`, `:` and `^` are plain words),
 * `"quoted phrases"` stay phrases, terms are ANDed, and the last term (of 3+ characters) or any term written
 * with a trailing `*` becomes a prefix query. Terms without a letter or digit are dropped.
 * Returns `undefined` when nothing searchable is left.
 */
export function toFtsQuery(input: string): string | undefined {
  return ftsQueryOf(ftsTerms(input));
}

/** {@link toFtsQuery} of terms already split by {@link ftsTerms}. */
function ftsQueryOf(terms: FtsTerm[]): string | undefined {
  if (terms.length === 0) return undefined;
  return terms.map((t) => `"${t.text.replace(/"/g, '""')}"${t.prefix ? "*" : ""}`).join(" ");
}

/** One term of a search: its text, whether it is a prefix query, whether it was a quoted phrase. */
type FtsTerm = { text: string; prefix: boolean; phrase: boolean };

/** The terms of {@link toFtsQuery}. */
function ftsTerms(input: string): FtsTerm[] {
  const terms: FtsTerm[] = [];
  const re = /"([^"]*)"?|(\S+)/g;
  for (const m of input.matchAll(re)) {
    const phrase = m[1] !== undefined;
    let text = (phrase ? m[1] : m[2]) ?? "";
    const prefix = !phrase && /\*+$/.test(text);
    text = text.replace(/[*"\u0000-\u001f\u007f]/g, " ").trim();
    if (!/[\p{L}\p{N}]/u.test(text)) continue;
    terms.push({ text, prefix, phrase });
  }
  const last = terms[terms.length - 1];
  if (last && !last.phrase && /^\s*\S/.test(input.slice(-1)) && [...last.text].length >= 3) last.prefix = true;
  return terms;
}

/**
 * Whether FTS5 finds every term of the query without expanding a prefix into the terms it matches: no prefix
 * term, or only prefixes of exactly 3 letters or digits (read from the `prefix='3'` index as one term). Then a
 * snippet lookup per hit (a rowid seek) is cheaper than one lookup over all matches.
 */
function readsNoPrefixExpansion(terms: FtsTerm[]): boolean {
  return terms.every((t) => !t.prefix || /^[\p{L}\p{N}]{3}$/u.test(t.text));
}

const escapeHtml = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** HTML-escapes an FTS5 snippet made with `\u0002`/`\u0003` markers and turns the markers into `<mark>` tags. */
export function renderSnippet(raw: string): string {
  return escapeHtml(raw).replace(/\u0002/g, "<mark>").replace(/\u0003/g, "</mark>").replace(/\s+/g, " ").trim();
}

// Ranking: SQLite computes bm25 once per match and keeps the top LIMIT in its sorter; snippet() then runs only for
// the rows returned, in ONE more FTS5 query (`+rowid IN (...)` filters outside FTS5, so FTS5 expands a prefix term
// once instead of once per hit, and snippet() is evaluated only for the rows that pass the filter). FTS5's own
// `ORDER BY rank` (https://www.sqlite.org/fts5.html#sorting_by_auxiliary_function_results) ranked the same rows
// in a nested query of its own, ~30 % slower on 10,000 matches (docs/performance.md). With a tag filter, bm25 runs
// only for the matches that carry the tag. The tag filter and the snippet lookup use `+rowid` so SQLite does not
// push them into FTS5 as one full-text query per note. Exception: a query without a prefix to expand (most often a
// 3-letter prefix, read from the prefix='3' index) looks each snippet up by rowid (a seek; the CAST because FTS5
// ignores a rowid constraint bound as a REAL, which a JS number is): ~0.7 ms instead of ~1.4 ms for 10,000 matches.
const TAGGED = "SELECT note_id FROM tags WHERE tag_lower = ? OR (tag_lower > ? AND tag_lower < ?)";
const RANKED = (filter: string): string => `SELECT n.path, n.title, f.score, f.id FROM (
    SELECT rowid AS id, -bm25(notes_fts, 10.0, 1.0) AS score
    FROM notes_fts WHERE notes_fts MATCH ?${filter} ORDER BY score DESC LIMIT ?
  ) f JOIN notes n ON n.id = f.id ORDER BY f.score DESC`;
const SNIPPET_ONE = `SELECT snippet(notes_fts, -1, char(2), char(3), '…', 16) FROM notes_fts
  WHERE notes_fts MATCH ? AND rowid = CAST(? AS INTEGER)`;
const SNIPPETS = `SELECT rowid AS id, snippet(notes_fts, -1, char(2), char(3), '…', 16) AS snippet
  FROM notes_fts WHERE notes_fts MATCH ? AND +rowid IN (SELECT value FROM json_each(?))`;

type RankedRow = Omit<SearchHit, "snippet"> & { id: number };

/**
 * Prepared full-text search over the index (bm25 ranking with title ×10, prefix queries, snippets) with an
 * optional tag filter that also matches nested tags (`tag: "a"` matches `#a` and `#a/b`, case-insensitively).
 */
export class Searcher {
  private readonly plain: Database.Statement<[string, number], RankedRow>;
  private readonly tagged: Database.Statement<[string, string, string, string, number], RankedRow>;
  private readonly snippets: Database.Statement<[string, string], { id: number; snippet: string | null }>;
  private readonly snippetOne: Database.Statement<[string, number], string | null>;
  private readonly tagOnly: Database.Statement<[string, string, string, number], SearchHit>;

  constructor(db: Database.Database) {
    this.plain = db.prepare(RANKED(""));
    this.tagged = db.prepare(RANKED(` AND +rowid IN (${TAGGED})`));
    this.snippets = db.prepare(SNIPPETS);
    this.snippetOne = db.prepare<[string, number], string | null>(SNIPPET_ONE).pluck();
    this.tagOnly = db.prepare(`SELECT n.path, n.title, 0 AS score, '' AS snippet FROM notes n WHERE n.id IN (${TAGGED}) ORDER BY n.mtime_ms DESC LIMIT ?`);
  }

  /**
   * Runs a search. `q` is free text (see {@link toFtsQuery}); `tag` filters by tag (a leading `#` is ignored);
   * `limit` defaults to {@link SEARCH_LIMIT_DEFAULT}, clamped to 1..{@link SEARCH_LIMIT_MAX}. With no searchable
   * term but a tag, returns the tagged notes, newest first. Throws {@link ValidationError} when neither is given
   * or FTS5 still rejects the query.
   */
  search(params: { q: string; tag?: string | undefined; limit?: number | undefined }): SearchHit[] {
    const wanted = Number.isFinite(params.limit) ? Math.floor(params.limit!) : SEARCH_LIMIT_DEFAULT;
    const limit = Math.min(SEARCH_LIMIT_MAX, Math.max(1, wanted));
    const terms = ftsTerms(params.q ?? "");
    const match = ftsQueryOf(terms);
    const tag = params.tag?.trim().replace(/^#/, "").toLowerCase();
    if (params.tag !== undefined && !tag) throw new ValidationError("tag is empty", { path: "tag" });
    if (match === undefined) {
      if (params.q.trim() === "" && !tag) throw new ValidationError("give a search query (q) or a tag", { path: "q" });
      if (!tag) return [];
      return this.tagOnly.all(tag, `${tag}/`, `${tag}0`, limit);
    }
    try {
      const rows = tag ? this.tagged.all(match, tag, `${tag}/`, `${tag}0`, limit) : this.plain.all(match, limit);
      if (rows.length === 0) return [];
      const snippets = new Map<number, string | null>();
      // A query whose terms FTS5 reads directly (common: a 3-letter prefix) seeks each hit (~20 µs each); any
      // other does one pass over all matches (up to ~1.5 ms for 10,000), expanding its prefixes once.
      if (readsNoPrefixExpansion(terms)) for (const { id } of rows) snippets.set(id, this.snippetOne.get(match, id) ?? null);
      else for (const r of this.snippets.all(match, JSON.stringify(rows.map((row) => row.id)))) snippets.set(r.id, r.snippet);
      return rows.map(({ path, title, score, id }) => ({ path, title, score, snippet: renderSnippet(snippets.get(id) ?? "") }));
    } catch (err) {
      const code = (err as { code?: string }).code ?? "";
      if (code === "SQLITE_ERROR") throw new ValidationError(`search query not understood: ${(err as Error).message}`, { path: "q" });
      throw err;
    }
  }
}
