import { mkdirSync, realpathSync, statSync, unlinkSync } from "node:fs";
import { dirname } from "node:path";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import type { Logger } from "pino";
import { ConflictError, NotFoundError, StorageError, ValidationError } from "../errors.js";
import { IndexDb } from "./index-db.js";
import { Indexer } from "./indexer.js";
import { etagOf, fileAncestor, readIfExists } from "./note-file.js";
import type { IndexerStats } from "./note-store.js";
import { parseNote } from "./parse.js";
import { normalizeRelPath, resolveInVault } from "./paths.js";
import { LinkResolver } from "./resolve.js";
import { Searcher } from "./search.js";
import type { Graph, NoteDetail, NoteSummary, SearchResult, VaultChange, WriteResult } from "./types.js";
import { buildGraph } from "./graph.js";
import { VaultWatcher } from "./watcher.js";
import { atomicWrite, checkIfMatch, composeNote, type NoteChange } from "./write.js";

/** Options of {@link Vault}. */
export interface VaultOptions {
  /** The vault folder (created if missing), e.g. `DIR/vault`. */
  dir: string;
  /** The index file (a derived cache), e.g. `DIR/vault-index.db`. */
  indexDbPath: string;
  logger: Logger;
  /** Watch the folder for outside edits (Obsidian, editors, git). Default true. */
  watch?: boolean;
  /** Index in a worker thread when a reconcile has at least this many notes to read. Default 250; `Infinity`: never. */
  workerMinNotes?: number;
  /**
   * When indexing in a worker thread, read and parse notes in a second one when there are at least this many
   * (a cold index of a big vault: the two halves of indexing on two cores; never on a one-core machine).
   * Default 1000; `Infinity`: never.
   */
  parseWorkerMinNotes?: number;
  /** Time slice of indexing on the main thread between yields to the event loop, ms. Default 8. */
  sliceMs?: number;
  /** Commit a reconcile's writes this often, ms: readers see its progress (default 1000 in a worker, 250 here). */
  commitEveryMs?: number;
  /** Watcher debounce per path, ms. Default 10. */
  debounceMs?: number;
}

/**
 * The agent's Obsidian-compatible markdown vault (issue 4): notes as `.md` files in nested folders, indexed in
 * SQLite (FTS5 search, links, backlinks, tags, aliases), kept in step with outside edits by a watcher.
 * Every method takes vault-relative paths (`folder/Note.md`) and throws {@link ValidationError} for paths that
 * escape the vault or name hidden folders, without touching anything. Methods are synchronous: each is one
 * short unit of work on the event loop. The start-up reconcile runs in the background (time slices here, a
 * worker thread for big jobs); until it ends, `list` and `search` answer from what is indexed and say so.
 */
export class Vault {
  private readonly opts: VaultOptions;
  private readonly logger: Logger;
  private root = "";
  private index: IndexDb | undefined;
  private indexer: Indexer | undefined;
  private searcher: Searcher | undefined;
  private readonly resolver = new LinkResolver();
  private watcher: VaultWatcher | undefined;
  private initial: Promise<void> | undefined;
  private running: Promise<void> = Promise.resolve();
  private pendingReconciles = 0;
  private watcherReady: Promise<void> = Promise.resolve();
  private markWatcherReady: () => void = () => undefined;
  private readonly listeners = new Set<(change: VaultChange) => void>();

  constructor(opts: VaultOptions) {
    this.opts = opts;
    this.logger = opts.logger.child({ component: "vault" });
  }

  /**
   * Opens the index and starts the reconcile in the background (it does not wait for it) and the watcher.
   * Resolves in milliseconds. Throws {@link StorageError} when the folder or the index cannot be opened.
   */
  async start(): Promise<void> {
    if (this.index) return;
    try {
      mkdirSync(this.opts.dir, { recursive: true });
      this.root = realpathSync(this.opts.dir);
    } catch (err) {
      throw new StorageError(`cannot open vault folder: ${(err as NodeJS.ErrnoException).code ?? "error"}`, err);
    }
    const index = new IndexDb(this.opts.indexDbPath);
    this.index = index;
    this.searcher = new Searcher(index.db);
    // VaultOptions carries IndexerOptions' fields (workerMinNotes, parseWorkerMinNotes, sliceMs, commitEveryMs)
    const indexer = new Indexer(this.root, index, this.opts.indexDbPath, this.resolver, this.logger, (c) => this.emit(c), this.opts);
    this.indexer = indexer;
    indexer.loadResolver();
    this.initial = this.runReconcile();
    if (this.opts.watch !== false) {
      this.watcherReady = new Promise((resolve) => (this.markWatcherReady = resolve));
      this.watcher = new VaultWatcher(
        this.root,
        {
          onPath: (rel) => this.indexer?.syncPath(rel, "watcher"),
          onFolderRemoved: (rel) => this.indexer?.syncFolderRemoved(rel),
          // Files created while the watcher was still scanning may have been missed: one more (cheap) pass.
          onReady: () => {
            void this.runReconcile({ quietWhenUnchanged: true }); // logged at info only when it found something
            this.markWatcherReady();
          },
        },
        this.logger,
        this.opts.debounceMs === undefined ? {} : { debounceMs: this.opts.debounceMs },
      );
      this.watcher.start();
    }
  }

  private runReconcile(opts: { quietWhenUnchanged?: boolean } = {}): Promise<void> {
    this.pendingReconciles++;
    this.running = this.running.then(async () => {
      try {
        await yieldToLoop();
        await this.indexer?.reconcile(opts);
      } finally {
        this.pendingReconciles--;
      }
    });
    return this.running;
  }

  /** Resolves when the initial reconcile finished (and, when watching, the watcher's follow-up pass too). */
  async ready(): Promise<void> {
    await this.initial;
    await this.watcherReady;
    await this.running;
  }

  /** Stops the watcher, lets a running reconcile slice finish, and closes the index. */
  async stop(): Promise<void> {
    const index = this.index;
    if (!index) return;
    await this.watcher?.stop();
    this.watcher = undefined;
    this.markWatcherReady();
    this.indexer?.abort();
    await this.running.catch(() => undefined);
    await this.indexer?.idle();
    this.indexer = undefined;
    this.index = undefined;
    index.close();
  }

  /**
   * Resolves once every write and delete made through this object is in the index (search, backlinks, list,
   * graph see it). Immediate, except while the start-up reconcile runs in its worker thread: then within a few
   * of its steps (it indexes such paths out of turn). Callers that answer a user (REST, protocol, tools) await it
   * after {@link write} / {@link delete}, so a read after the answer sees the write. Never rejects.
   */
  settled(): Promise<void> {
    return this.indexer?.settled() ?? Promise.resolve();
  }

  /** True while a reconcile runs (search and list may be incomplete). */
  get indexing(): boolean {
    return this.pendingReconciles > 0;
  }

  /** Indexer counters (files read, notes parsed, unchanged skips), for tests and metrics. */
  get stats(): IndexerStats {
    return { ...this.open().indexer.stats };
  }

  /** Subscribes to index changes (one per note indexed or removed); returns the unsubscribe function. */
  onChange(listener: (change: VaultChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(change: VaultChange): void {
    for (const l of this.listeners) {
      try {
        l(change);
      } catch (err) {
        this.logger.warn({ err }, "vault: change listener failed");
      }
    }
  }

  private open(): { index: IndexDb; indexer: Indexer; searcher: Searcher } {
    if (!this.index || !this.indexer || !this.searcher) throw new StorageError("vault is not started");
    return { index: this.index, indexer: this.indexer, searcher: this.searcher };
  }

  private locate(path: string): { rel: string; abs: string } {
    const rel = normalizeRelPath(path, "note");
    return { rel, abs: resolveInVault(this.root, rel, "note") };
  }

  /** Lists indexed notes (sorted by path), optionally under `folder` (recursive). Tags as written. */
  list(params: { folder?: string | undefined } = {}): { notes: NoteSummary[]; indexing: boolean } {
    const { index } = this.open();
    const folder = normalizeRelPath(params.folder ?? "", "folder");
    if (folder !== "") resolveInVault(this.root, folder, "folder");
    const rows = folder === "" ? index.stmts.listAll.all() : index.stmts.listUnder.all(`${folder}/`, `${folder}0`);
    const notes = rows.map((r) => ({ path: r.path, title: r.title, tags: r.tags ? r.tags.split("\u001f") : [], size: r.size, mtimeMs: r.mtimeMs }));
    return { notes, indexing: this.indexing };
  }

  /**
   * Reads a note from disk with its parsed frontmatter, tags, aliases, resolved outgoing links and backlinks.
   * Throws {@link NotFoundError} when it does not exist. Re-indexes it if the index is behind the disk.
   */
  read(path: string): NoteDetail {
    const { index, indexer } = this.open();
    const { rel, abs } = this.locate(path);
    const file = readIfExists(abs);
    if (!file) throw new NotFoundError(`note not found: ${rel}`, { path: rel });
    const { buf, size, mtimeMs } = file;
    const etag = etagOf(buf);
    if (index.stmts.noteByPath.get(rel)?.hash !== etag.slice(1, -1)) indexer.indexBytes(rel, buf, size, mtimeMs, "api");
    const note = parseNote(buf.toString("utf8"), rel);
    return {
      path: rel,
      title: note.title,
      content: note.body,
      frontmatter: note.frontmatter,
      tags: note.tags,
      aliases: note.aliases,
      links: note.links.map((l) => ({ ...l, resolved: this.resolver.resolve(l.target, l.kind, rel) })),
      backlinks: index.stmts.backlinks.all(rel, rel),
      etag,
      size,
      mtimeMs,
    };
  }

  /**
   * Creates or replaces a note atomically (temp file + rename) and indexes it at once. See {@link composeNote} for
   * how `content` and `frontmatter` combine with the existing file (unchanged parts keep their exact bytes).
   * Writing identical bytes is a no-op. `ifMatch` (an ETag from {@link read}, or `*`) must match the file on disk,
   * else {@link ConflictError}. Missing folders are created. While the start-up reconcile runs in its worker
   * thread the index catches up a moment later: await {@link settled} before answering a user.
   */
  write(path: string, change: NoteChange, opts: { ifMatch?: string | undefined } = {}): WriteResult {
    const { indexer } = this.open();
    const { rel, abs } = this.locate(path);
    const before = readIfExists(abs)?.buf;
    checkIfMatch(rel, opts.ifMatch, before && etagOf(before));
    const data = Buffer.from(composeNote(before?.toString("utf8"), change), "utf8");
    if (before && before.equals(data)) return { path: rel, etag: etagOf(before), created: false };
    try {
      mkdirSync(dirname(abs), { recursive: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EEXIST" || code === "ENOTDIR") {
        const file = fileAncestor(this.root, rel);
        throw new ConflictError(`cannot create ${rel}: ${file ?? "a parent"} is a file, not a folder`, { path: rel, ...(file ? { file } : {}) });
      }
      throw new StorageError(`cannot create folder for ${rel}: ${code ?? "error"}`, err);
    }
    atomicWrite(abs, data);
    const st = statSync(abs);
    indexer.indexBytes(rel, data, st.size, st.mtimeMs, "api");
    return { path: rel, etag: etagOf(data), created: !before };
  }

  /**
   * Deletes a note and drops it from the index. {@link NotFoundError} when absent; `ifMatch` and the index as in
   * {@link write}.
   */
  delete(path: string, opts: { ifMatch?: string | undefined } = {}): { path: string; deleted: true } {
    const { indexer } = this.open();
    const { rel, abs } = this.locate(path);
    const before = readIfExists(abs)?.buf;
    if (!before) throw new NotFoundError(`note not found: ${rel}`, { path: rel });
    checkIfMatch(rel, opts.ifMatch, etagOf(before));
    try {
      unlinkSync(abs);
    } catch (err) {
      throw new StorageError(`cannot delete note: ${(err as NodeJS.ErrnoException).code ?? "error"}`, err);
    }
    indexer.remove(rel, "api");
    return { path: rel, deleted: true };
  }

  /** The link graph of the vault, see {@link buildGraph}. */
  graph(): Graph {
    return buildGraph(this.open().index);
  }

  /**
   * Full-text search (see {@link Searcher.search}): ranked hits with `<mark>` snippets, optional tag filter
   * (nested tags included), `limit` default 20, max 100. `indexing` says whether the initial index still runs.
   * Throws {@link ValidationError} for an empty query without tag.
   */
  search(params: { q: string; tag?: string | undefined; limit?: number | undefined }): SearchResult {
    const { searcher } = this.open();
    if (typeof params.q !== "string") throw new ValidationError("q must be a string", { path: "q" });
    return { hits: searcher.search(params), indexing: this.indexing };
  }
}
