import { hash } from "node:crypto";
import type { IndexDb } from "./index-db.js";
import { parseNote, type ParsedNote } from "./parse.js";
import { linkKey, type LinkResolver } from "./resolve.js";
import type { LinkKind } from "./types.js";

/** Notes larger than this many bytes are indexed from their first bytes only (search, links, tags). */
export const MAX_INDEX_BYTES = 4 * 1024 * 1024;

/** What the index keeps of a parsed note (see {@link ParsedNote}); plain data, so it can cross a thread. */
export type IndexedNote = Pick<ParsedNote, "title" | "body" | "tags" | "aliases" | "links">;

/**
 * Parses a note's bytes for the index: UTF-8, only the first {@link MAX_INDEX_BYTES} of a larger file (see
 * {@link parseNote}).
 */
export function parseNoteBytes(buf: Buffer, rel: string): IndexedNote {
  const { title, body, tags, aliases, links } = parseNote((buf.length > MAX_INDEX_BYTES ? buf.subarray(0, MAX_INDEX_BYTES) : buf).toString("utf8"), rel);
  return { title, body, tags, aliases, links };
}

/** Content hash of a file's bytes (SHA-1, base64url); the ETag is this value in double quotes. */
export function hashOf(buf: Buffer): string {
  return hash("sha1", buf, "base64url");
}

let warmedUp = false;

/**
 * The note {@link warmUpNoteParsing} parses: frontmatter (tags, aliases, a link), wikilinks, an embed, a markdown
 * link, an inline tag, a code fence.
 */
export const WARM_UP_NOTE = "---\ntags: [warm/up]\naliases: [Warm]\nlinks: \"[[Other]]\"\n---\n# Warm\n\nSee [[Note#Part|shown]], ![[a.png]] and [md](b.md). #tag\n\n```\n[[no]]\n```\n";

/**
 * Hashes and parses a small built-in note (YAML frontmatter, wikilinks, embeds, tags, a code fence) once per
 * thread, so that thread's first API write or read does not pay V8's lazy compilation of that code (~10 ms of
 * the first write after a cold index on the bench machine). For idle moments: the main thread calls it while a
 * reconcile worker indexes.
 */
export function warmUpNoteParsing(): void {
  if (warmedUp) return;
  warmedUp = true;
  const sample = Buffer.from(WARM_UP_NOTE);
  hashOf(sample);
  parseNoteBytes(sample, "warm/Warm.md");
}

/** Counters for tests and metrics: files read from disk, notes parsed and indexed, notes skipped as unchanged. */
export interface IndexerStats {
  filesRead: number;
  notesParsed: number;
  notesUnchanged: number;
  reconciles: number;
}

/** A fresh, zeroed {@link IndexerStats}. */
export function emptyStats(): IndexerStats {
  return { filesRead: 0, notesParsed: 0, notesUnchanged: 0, reconciles: 0 };
}

/**
 * Writes notes into the index and keeps stored link resolutions right. Used by the main thread (one note at a
 * time) and by the reconcile worker (in bulk). Not thread-safe: one store per connection.
 * "Bulk" calls run inside the caller's transaction and skip the per-note re-resolution of other notes' links
 * (the caller re-resolves everything at the end, see {@link reresolveAllStep}).
 */
export class NoteStore {
  readonly index: IndexDb;
  readonly resolver: LinkResolver;
  readonly stats: IndexerStats;
  /**
   * When set, "bulk" calls add the link keys whose resolution they may have changed here (instead of re-resolving
   * at once), so a bulk job can re-resolve just those links at its end (see {@link reresolveKeysStep}).
   */
  bulkKeys: Set<string> | undefined;

  constructor(index: IndexDb, resolver: LinkResolver, stats: IndexerStats = emptyStats()) {
    this.index = index;
    this.resolver = resolver;
    this.stats = stats;
  }

  /** Clears the resolver and loads every indexed note path, alias and attachment into it. */
  loadResolver(): void {
    this.resolver.clear();
    for (const path of this.index.stmts.allPaths.all()) this.resolver.add(path); // all(): 3-8× faster than iterate() of rows
    const aliases = new Map<string, string[]>();
    for (const { path, alias } of this.index.stmts.allAliases.iterate()) {
      const list = aliases.get(path);
      if (list) list.push(alias);
      else aliases.set(path, [alias]);
    }
    for (const [path, list] of aliases) this.resolver.setAliases(path, list);
    for (const file of this.index.stmts.allFiles.iterate()) this.resolver.add(file);
  }

  /**
   * Indexes a note's bytes unless the stored hash is the same (then only size/mtime are updated). Must run inside
   * a transaction (see {@link upsertTx}). Returns true when the note was (re)parsed.
   */
  upsert(rel: string, buf: Buffer, size: number, mtimeMs: number, bulk: boolean): boolean {
    return this.upsertParsed(rel, size, mtimeMs, hashOf(buf), () => parseNoteBytes(buf, rel), bulk);
  }

  /**
   * {@link upsert} of a note read and hashed elsewhere (the reconcile's parse worker): `contentHash` is
   * {@link hashOf} its bytes, `parsed()` gives {@link parseNoteBytes} of them and is called only when the hash
   * differs from the stored one.
   */
  upsertParsed(rel: string, size: number, mtimeMs: number, contentHash: string, parsed: () => IndexedNote, bulk: boolean): boolean {
    const s = this.index.stmts;
    const row = s.noteByPath.get(rel);
    const keys = this.resolver.add(rel);
    if (row && row.hash === contentHash) {
      if (row.size !== size || row.mtimeMs !== mtimeMs) s.touchNote.run(size, mtimeMs, row.id);
      if (keys.length > 0) this.keysChanged(keys, bulk);
      this.stats.notesUnchanged++;
      return false;
    }
    const note = parsed();
    this.stats.notesParsed++;
    keys.push(...this.resolver.setAliases(rel, note.aliases));
    let id: number;
    if (row) {
      id = row.id;
      s.updateNote.run(note.title, size, mtimeMs, contentHash, id);
      this.deleteRows(id);
    } else {
      id = Number(s.insertNote.run(rel, note.title, size, mtimeMs, contentHash).lastInsertRowid);
    }
    const seen = new Set<string>();
    for (const link of note.links) {
      const dedupe = `${link.kind}\u0000${link.target}`;
      if (seen.has(dedupe)) continue;
      seen.add(dedupe);
      s.insertLink.run(id, link.kind, link.target, linkKey(link.target), this.resolver.resolve(link.target, link.kind, rel));
    }
    for (const tag of note.tags) s.insertTag.run(id, tag, tag.toLowerCase());
    for (const alias of note.aliases) s.insertAlias.run(id, alias);
    const titleText = note.aliases.length > 0 ? `${note.title} ${note.aliases.join(" ")}` : note.title;
    s.insertFts.run(id, titleText, note.body.replace(/[\u0002\u0003]/g, " "));
    if (keys.length > 0) this.keysChanged(keys, bulk);
    return true;
  }

  /** Link keys whose resolution may have changed: re-resolved now, or (bulk) remembered in {@link bulkKeys}. */
  private keysChanged(keys: string[], bulk: boolean): void {
    if (!bulk) this.reresolveKeys(keys);
    else if (this.bulkKeys) for (const key of keys) this.bulkKeys.add(key);
  }

  /** {@link upsert} of one note in its own transaction, re-resolving affected links. */
  upsertTx(rel: string, buf: Buffer, size: number, mtimeMs: number): boolean {
    return this.index.transaction(() => this.upsert(rel, buf, size, mtimeMs, false));
  }

  private deleteRows(id: number): void {
    const s = this.index.stmts;
    s.deleteLinks.run(id);
    s.deleteTags.run(id);
    s.deleteAliases.run(id);
    s.deleteFts.run(id);
  }

  /** Removes a note (inside a transaction); returns true when it was indexed. `bulk` skips re-resolution. */
  drop(rel: string, bulk: boolean): boolean {
    const row = this.index.stmts.noteByPath.get(rel);
    const keys = this.resolver.remove(rel);
    if (row) {
      this.index.stmts.deleteNote.run(row.id);
      this.deleteRows(row.id);
    }
    if (keys.length > 0) this.keysChanged(keys, bulk);
    return row !== undefined;
  }

  /** {@link drop} in its own transaction, re-resolving affected links. */
  dropTx(rel: string): boolean {
    return this.index.transaction(() => this.drop(rel, false));
  }

  /**
   * Records that an attachment (non-`.md` file) exists or not. Must run inside a transaction. Returns true when
   * that changed; unless `bulk`, the links it affects are re-resolved.
   */
  setAttachment(rel: string, exists: boolean, bulk: boolean): boolean {
    const keys = exists ? this.resolver.add(rel) : this.resolver.remove(rel);
    const changed = (exists ? this.index.stmts.insertFile.run(rel) : this.index.stmts.deleteFile.run(rel)).changes > 0;
    if (keys.length > 0) this.keysChanged(keys, bulk);
    return changed || keys.length > 0;
  }

  /** {@link setAttachment} in its own transaction, re-resolving affected links. */
  setAttachmentTx(rel: string, exists: boolean): boolean {
    return this.index.transaction(() => this.setAttachment(rel, exists, false));
  }

  /** Re-resolves every stored link whose key is one of `keys` (after a note or alias appeared or vanished). */
  reresolveKeys(keys: string[]): void {
    const s = this.index.stmts;
    for (const key of new Set(keys)) {
      for (const link of s.linksByKey.all(key)) {
        const resolved = this.resolver.resolve(link.target, link.kind as LinkKind, link.source);
        if (resolved !== link.resolved) s.setResolved.run(resolved, link.rowid);
      }
    }
  }

  /**
   * Returns a step function that re-resolves the stored links whose key is one of `keys`, one key per call;
   * returns true when all are done. For use inside a caller-managed transaction (uses the `links_key` index).
   */
  reresolveKeysStep(keys: Iterable<string>): () => boolean {
    const it = new Set(keys).values();
    return () => {
      const next = it.next();
      if (next.done) return true;
      this.reresolveKeys([next.value]);
      return false;
    };
  }

  /** True when the index holds at least one link. */
  hasLinks(): boolean {
    return this.index.stmts.anyLink.get() === 1;
  }

  /**
   * Returns a step function that re-resolves all stored links, 256 at a time; each call does one link and
   * returns true when all are done. For use inside a caller-managed transaction.
   */
  reresolveAllStep(): () => boolean {
    const s = this.index.stmts;
    let after = 0;
    let rows = s.linksAfter.all(0, 256);
    let i = 0;
    return () => {
      if (i >= rows.length) {
        if (rows.length === 0) return true;
        rows = s.linksAfter.all(after, 256);
        i = 0;
        if (rows.length === 0) return true;
      }
      const link = rows[i++]!;
      const resolved = this.resolver.resolve(link.target, link.kind as LinkKind, link.source);
      if (resolved !== link.resolved) s.setResolved.run(resolved, link.rowid);
      after = link.rowid;
      return false;
    };
  }

  /**
   * Marks the stored link resolutions as "a bulk job is running" (in the index, so it survives a stop or crash);
   * returns whether the mark was already there, i.e. an earlier job stopped before re-resolving its links (then
   * all links must be re-resolved). Cleared by {@link clearLinksPending}.
   */
  markLinksPending(): boolean {
    const s = this.index.stmts;
    const was = s.getState.get("links_pending") !== undefined;
    if (!was) s.setState.run("links_pending", "1");
    return was;
  }

  /** Clears the mark of {@link markLinksPending} (inside the caller's transaction, with the re-resolution). */
  clearLinksPending(): void {
    this.index.stmts.deleteState.run("links_pending");
  }
}
