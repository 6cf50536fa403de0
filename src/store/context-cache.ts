import type { MessageRow } from "./rows.js";

/** Default most sessions {@link ContextCache} holds (the load benchmark's 200 clients talk in 200 sessions at once). */
export const CONTEXT_CACHE_MAX_SESSIONS = 256;
/** Default most characters of message content {@link ContextCache} holds over all its sessions (1–2 MB of strings). */
export const CONTEXT_CACHE_MAX_CHARS = 1_000_000;

/** One cached session: its context rows in id order and the characters of their content. */
interface Entry {
  rows: MessageRow[];
  chars: number;
}

const freezeRow = (row: MessageRow): MessageRow => {
  for (const v of [row.toolCalls, row.attachments, row.channel]) {
    if (Array.isArray(v)) for (const item of v) Object.freeze(item);
    if (v) Object.freeze(v);
  }
  return Object.freeze(row);
};

const charsOf = (rows: readonly MessageRow[]): number => rows.reduce((n, r) => n + r.content.length, 0);

/**
 * The model-context rows of the sessions used last (`Store.contextMessages`: a session's messages not replaced by a
 * summary, in id order), kept in memory so a turn does not read them back from SQLite: the read was the largest piece
 * of agentd's own work before the model request (~0.2 ms of a turn on the 2-core bench machine, issue 20;
 * docs/performance.md). The store keeps it in step with every write it makes to `messages`: an insert appends
 * ({@link append}), a compaction removes ({@link remove}), a deleted session goes ({@link drop}), and a transaction
 * that rolls back, a write by another connection (SQLite's `PRAGMA data_version`) or the daemon going idle empties
 * it ({@link clear}). The store only calls {@link append} for sessions it already holds, so a session's entry is
 * always a complete read plus the rows written after it.
 *
 * Bounded: at most `maxSessions` sessions and `maxChars` characters of content, the least recently used going
 * first; a session larger than `maxChars` alone is not kept. Rows are frozen (their JSON values too): callers get
 * a fresh array of shared rows, and a caller that tried to change one would throw instead of changing every later
 * turn's context.
 */
export class ContextCache {
  private readonly entries = new Map<string, Entry>();
  private chars = 0;

  /** `maxSessions` (default {@link CONTEXT_CACHE_MAX_SESSIONS}), `maxChars` (default {@link CONTEXT_CACHE_MAX_CHARS}). */
  constructor(
    private readonly maxSessions = CONTEXT_CACHE_MAX_SESSIONS,
    private readonly maxChars = CONTEXT_CACHE_MAX_CHARS,
  ) {}

  /** Sessions held now (for tests). */
  get size(): number {
    return this.entries.size;
  }

  /** Whether `sessionId` is held. */
  has(sessionId: string): boolean {
    return this.entries.has(sessionId);
  }

  /** The cached rows of `sessionId` (a new array each call), or undefined when the session is not held. */
  get(sessionId: string): MessageRow[] | undefined {
    const entry = this.entries.get(sessionId);
    if (!entry) return undefined;
    // most recently used last: Map keeps insertion order
    this.entries.delete(sessionId);
    this.entries.set(sessionId, entry);
    return entry.rows.slice();
  }

  /** Holds `rows`, a complete read of `sessionId`'s context rows in id order (they are frozen). */
  set(sessionId: string, rows: MessageRow[]): void {
    this.drop(sessionId);
    const entry = { rows: rows.map(freezeRow), chars: charsOf(rows) };
    if (entry.chars > this.maxChars) return;
    this.entries.set(sessionId, entry);
    this.chars += entry.chars;
    this.evict();
  }

  /** Adds a row just written to a held session, in id order; does nothing for a session not held. */
  append(row: MessageRow): void {
    const entry = this.entries.get(row.sessionId);
    if (!entry) return;
    const rows = entry.rows;
    let at = rows.length;
    // ids sort by creation time (src/store/ids.ts), so a new row nearly always goes last
    while (at > 0 && rows[at - 1]!.id > row.id) at--;
    rows.splice(at, 0, freezeRow(row));
    entry.chars += row.content.length;
    this.chars += row.content.length;
    if (entry.chars > this.maxChars) this.drop(row.sessionId);
    else this.evict();
  }

  /** Removes the rows with these ids from every held session (they were replaced by a summary). */
  remove(ids: ReadonlySet<string>): void {
    for (const entry of this.entries.values()) {
      const kept = entry.rows.filter((r) => !ids.has(r.id));
      if (kept.length === entry.rows.length) continue;
      const chars = charsOf(kept);
      this.chars -= entry.chars - chars;
      entry.rows = kept;
      entry.chars = chars;
    }
  }

  /** Forgets one session. */
  drop(sessionId: string): void {
    const entry = this.entries.get(sessionId);
    if (!entry) return;
    this.entries.delete(sessionId);
    this.chars -= entry.chars;
  }

  /** Forgets everything. */
  clear(): void {
    this.entries.clear();
    this.chars = 0;
  }

  private evict(): void {
    for (const [id] of this.entries) {
      if (this.entries.size <= this.maxSessions && this.chars <= this.maxChars) return;
      this.drop(id);
    }
  }
}
