/**
 * Shapes shared by the vault modules and returned by the {@link Vault} facade (issue 4).
 * Paths are always vault-relative with forward slashes, e.g. `Projects/Plan.md`.
 */

/** How a link was written: `[[x]]` (wikilink), `![[x]]` (embed) or `[text](x.md)` (markdown). */
export type LinkKind = "wikilink" | "embed" | "markdown";

/**
 * One outgoing link as parsed from a note (before resolution).
 * - `target`: the link path as written, without `#heading`/`#^block` and `|display`
 *   (`""` for a link to a heading of the same note, e.g. `[[#Intro]]`); markdown link targets are URL-decoded.
 * - `heading`: text after `#` (nested headings keep their `#`, e.g. `A#B`); `blockId`: id after `#^`.
 * - `display`: the text after `|` of a wikilink or the text of a markdown link.
 */
export interface ParsedLink {
  kind: LinkKind;
  target: string;
  heading?: string;
  blockId?: string;
  display?: string;
}

/** A {@link ParsedLink} with its resolution: the vault path it points to, or `null` when unresolved. */
export interface NoteLink extends ParsedLink {
  resolved: string | null;
}

/** A note that links to another one (a backlink), with its title. */
export interface Backlink {
  path: string;
  title: string;
}

/** One row of {@link Vault.list}: `size` in bytes, `mtimeMs` in ms since the epoch. */
export interface NoteSummary {
  path: string;
  title: string;
  tags: string[];
  size: number;
  mtimeMs: number;
}

/**
 * A note as {@link Vault.read} returns it. `content` is the body after the frontmatter block, byte-for-byte;
 * `frontmatter` is the parsed YAML (`{}` when absent or invalid); `etag` is the strong, quoted ETag of the
 * whole file (see {@link etagOf}).
 */
export interface NoteDetail {
  path: string;
  title: string;
  content: string;
  frontmatter: Record<string, unknown>;
  tags: string[];
  aliases: string[];
  links: NoteLink[];
  backlinks: Backlink[];
  etag: string;
  size: number;
  mtimeMs: number;
}

/** Result of {@link Vault.write}: the new ETag and whether the note did not exist before. */
export interface WriteResult {
  path: string;
  etag: string;
  created: boolean;
}

/** A graph node: a note (`path` set) or an unresolved link target (`path: null`, `unresolved: true`). */
export interface GraphNode {
  id: string;
  path: string | null;
  title: string;
  unresolved: boolean;
}

/** A directed graph edge between node ids (deduplicated; no self loops). */
export interface GraphEdge {
  source: string;
  target: string;
}

/** The link graph of the vault, see {@link Vault.graph}. */
export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/** One search hit: `score` is higher-is-better (negated bm25); `snippet` is HTML-escaped text with `<mark>` around matches. */
export interface SearchHit {
  path: string;
  title: string;
  score: number;
  snippet: string;
}

/** Search result; `indexing` is true while the initial reconcile still runs (hits may be incomplete). */
export interface SearchResult {
  hits: SearchHit[];
  indexing: boolean;
}

/** Emitted after the index changed for one note; `durationMs` is the time spent indexing it. */
export interface VaultChange {
  path: string;
  kind: "upsert" | "delete";
  source: "api" | "watcher" | "reconcile";
  durationMs: number;
}

/** Options of the vault's indexer (`Indexer`, indexer.ts); all have defaults. */
export interface IndexerOptions {
  /**
   * Apply a reconcile in a worker thread when it has at least this many notes to read (default 250;
   * `Infinity`: never), so a cold index of a big vault never blocks the event loop. Smaller ones run here.
   */
  workerMinNotes?: number;
  /**
   * In the worker, read and parse notes in a second worker thread (while the first writes the index) when there
   * are at least this many (default 1000, `PARSE_WORKER_MIN_NOTES` in reconcile-parse.ts; `Infinity`: never).
   */
  parseWorkerMinNotes?: number;
  /** Main-thread reconcile (fallback or `worker: false`): time slice between yields, ms (default 8). */
  sliceMs?: number;
  /** Commit the reconcile's transaction this often, ms (default 1000 in the worker, 250 on the main thread). */
  commitEveryMs?: number;
}
