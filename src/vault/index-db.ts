import Database from "better-sqlite3";
import { rmSync } from "node:fs";
import { StorageError } from "../errors.js";

/** Schema version of the index (`PRAGMA user_version`); a file with another version is deleted and rebuilt. */
export const INDEX_SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS notes (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL,
  size INTEGER NOT NULL,
  mtime_ms REAL NOT NULL,
  hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS links (
  note_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  target TEXT NOT NULL,
  key TEXT NOT NULL,
  resolved TEXT
);
CREATE TABLE IF NOT EXISTS tags (
  note_id INTEGER NOT NULL,
  tag TEXT NOT NULL,
  tag_lower TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS aliases (
  note_id INTEGER NOT NULL,
  alias TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS index_state (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS notes_fts USING fts5(
  title, body, tokenize = 'unicode61 remove_diacritics 2', prefix = '3'
);
`;

/**
 * Secondary indexes of the link, tag and alias tables, by name. A cold build drops them and creates them once at
 * the end (sorting 60,000 finished rows is cheaper than keeping three B-trees ordered on every insert).
 */
const SECONDARY_INDEXES: Record<string, string> = {
  links_note: "links(note_id)",
  links_key: "links(key)",
  links_resolved: "links(resolved)",
  tags_note: "tags(note_id)",
  tags_lower: "tags(tag_lower, note_id)",
  aliases_note: "aliases(note_id)",
};

function createSecondaryIndexes(db: Database.Database): void {
  for (const [name, on] of Object.entries(SECONDARY_INDEXES)) db.exec(`CREATE INDEX IF NOT EXISTS ${name} ON ${on}`);
}

/**
 * The `index_state` key that marks an FTS5 merge as owed: the reconcile worker sets it before a load of many
 * notes and removes it once its merge of the segments into one has run to the end (`reconcile-worker-main.ts`).
 */
export const MERGE_PENDING = "fts_merge_pending";

/** A `notes` row. `mtimeMs` in ms since the epoch, `size` in bytes, `hash` the content hash (see {@link hashOf}). */
export interface NoteRow {
  id: number;
  path: string;
  title: string;
  size: number;
  mtimeMs: number;
  hash: string;
}

/** A link row joined with its source note path. */
export interface LinkRow {
  rowid: number;
  source: string;
  kind: string;
  target: string;
  resolved: string | null;
}

function prepareAll(db: Database.Database) {
  return {
    noteByPath: db.prepare<[string], NoteRow>("SELECT id, path, title, size, mtime_ms AS mtimeMs, hash FROM notes WHERE path = ?"),
    allNotes: db.prepare<[], NoteRow>("SELECT id, path, title, size, mtime_ms AS mtimeMs, hash FROM notes"),
    allPaths: db.prepare<[], string>("SELECT path FROM notes").pluck(),
    allAliases: db.prepare<[], { path: string; alias: string }>(
      "SELECT n.path, a.alias FROM aliases a JOIN notes n ON n.id = a.note_id",
    ),
    insertNote: db.prepare<[string, string, number, number, string]>(
      "INSERT INTO notes (path, title, size, mtime_ms, hash) VALUES (?, ?, ?, ?, ?)",
    ),
    updateNote: db.prepare<[string, number, number, string, number]>(
      "UPDATE notes SET title = ?, size = ?, mtime_ms = ?, hash = ? WHERE id = ?",
    ),
    touchNote: db.prepare<[number, number, number]>("UPDATE notes SET size = ?, mtime_ms = ? WHERE id = ?"),
    deleteNote: db.prepare<[number]>("DELETE FROM notes WHERE id = ?"),
    deleteLinks: db.prepare<[number]>("DELETE FROM links WHERE note_id = ?"),
    deleteTags: db.prepare<[number]>("DELETE FROM tags WHERE note_id = ?"),
    deleteAliases: db.prepare<[number]>("DELETE FROM aliases WHERE note_id = ?"),
    deleteFts: db.prepare<[number]>("DELETE FROM notes_fts WHERE rowid = ?"),
    insertLink: db.prepare<[number, string, string, string, string | null]>(
      "INSERT INTO links (note_id, kind, target, key, resolved) VALUES (?, ?, ?, ?, ?)",
    ),
    insertTag: db.prepare<[number, string, string]>("INSERT INTO tags (note_id, tag, tag_lower) VALUES (?, ?, ?)"),
    insertAlias: db.prepare<[number, string]>("INSERT INTO aliases (note_id, alias) VALUES (?, ?)"),
    insertFts: db.prepare<[number, string, string]>("INSERT INTO notes_fts (rowid, title, body) VALUES (?, ?, ?)"),
    linksByKey: db.prepare<[string], LinkRow>(
      "SELECT l.rowid AS rowid, n.path AS source, l.kind, l.target, l.resolved FROM links l JOIN notes n ON n.id = l.note_id WHERE l.key = ?",
    ),
    linksAfter: db.prepare<[number, number], LinkRow>(
      "SELECT l.rowid AS rowid, n.path AS source, l.kind, l.target, l.resolved FROM links l JOIN notes n ON n.id = l.note_id WHERE l.rowid > ? ORDER BY l.rowid LIMIT ?",
    ),
    getState: db.prepare<[string], string>("SELECT value FROM index_state WHERE key = ?").pluck(),
    setState: db.prepare<[string, string]>("INSERT OR REPLACE INTO index_state (key, value) VALUES (?, ?)"),
    deleteState: db.prepare<[string]>("DELETE FROM index_state WHERE key = ?"),
    anyLink: db.prepare<[], number>("SELECT EXISTS (SELECT 1 FROM links)").pluck(),
    setResolved: db.prepare<[string | null, number]>("UPDATE links SET resolved = ? WHERE rowid = ?"),
    backlinks: db.prepare<[string, string], { path: string; title: string }>(
      "SELECT DISTINCT n.path, n.title FROM links l JOIN notes n ON n.id = l.note_id WHERE l.resolved = ? AND n.path <> ? ORDER BY n.path",
    ),
    listAll: db.prepare<[], { id: number; path: string; title: string; size: number; mtimeMs: number; tags: string | null }>(
      "SELECT n.id, n.path, n.title, n.size, n.mtime_ms AS mtimeMs, (SELECT group_concat(tag, char(31)) FROM tags t WHERE t.note_id = n.id) AS tags FROM notes n ORDER BY n.path",
    ),
    listUnder: db.prepare<[string, string], { id: number; path: string; title: string; size: number; mtimeMs: number; tags: string | null }>(
      "SELECT n.id, n.path, n.title, n.size, n.mtime_ms AS mtimeMs, (SELECT group_concat(tag, char(31)) FROM tags t WHERE t.note_id = n.id) AS tags FROM notes n WHERE n.path > ? AND n.path < ? ORDER BY n.path",
    ),
    allFiles: db.prepare<[], string>("SELECT path FROM files").pluck(),
    insertFile: db.prepare<[string]>("INSERT OR IGNORE INTO files (path) VALUES (?)"),
    deleteFile: db.prepare<[string]>("DELETE FROM files WHERE path = ?"),
    graphNotes: db.prepare<[], { path: string; title: string }>("SELECT path, title FROM notes ORDER BY path"),
    graphLinks: db.prepare<[], { source: string; target: string; resolved: string | null }>(
      "SELECT DISTINCT n.path AS source, l.target, l.resolved FROM links l JOIN notes n ON n.id = l.note_id",
    ),
  };
}

/** The prepared statements of an open index. */
export type IndexStatements = ReturnType<typeof prepareAll>;

function openFile(file: string): Database.Database {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");
  db.pragma("temp_store = MEMORY");
  return db;
}

function removeFiles(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
}

/**
 * The vault's derived index: its own SQLite file (WAL), a cache that can be deleted at any time and is rebuilt
 * from the notes. Tables: `notes` (path, title, size, mtime, hash), `links` (source note, kind, target as
 * written, lookup key, resolved path or NULL), `tags`, `aliases`, `files` (attachments: non-`.md` files, which links
 * and embeds can point to), `index_state` (key/value marks such as
 * `links_pending`, see `NoteStore.markLinksPending`), and `notes_fts` (FTS5: title + aliases, body;
 * rowid = notes.id). Created with `CREATE ... IF NOT EXISTS`; a file with another `user_version` or one that is
 * not a readable SQLite database is deleted and recreated. Throws {@link StorageError} when that fails too.
 */
export class IndexDb {
  readonly db: Database.Database;
  readonly stmts: IndexStatements;
  /** True when the file was (re)created empty at open, i.e. a full index from cold follows. */
  readonly fresh: boolean;
  private readonly totalChanges: Database.Statement<[], number>;
  private readonly mergeFts: Database.Statement<[number]>;

  /**
   * Opens `file`. With `rebuild: false` (a second connection, e.g. the reconcile worker's) a missing schema or
   * another version is an error instead of a reason to delete the file.
   */
  constructor(file: string, opts: { rebuild?: boolean } = {}) {
    let db: Database.Database | undefined;
    let fresh = false;
    try {
      db = openFile(file);
      const version = db.pragma("user_version", { simple: true }) as number;
      const hasTables = db.prepare("SELECT count(*) AS n FROM sqlite_master").pluck().get() as number;
      if (version !== INDEX_SCHEMA_VERSION && (hasTables > 0 || opts.rebuild === false)) throw new Error("schema version changed");
      fresh = hasTables === 0;
    } catch (err) {
      db?.close();
      db = undefined;
      if (opts.rebuild === false) throw new StorageError(`cannot open vault index ${file}: ${(err as Error).message}`, err);
    }
    if (!db) {
      try {
        removeFiles(file);
        db = openFile(file);
        fresh = true;
      } catch (err) {
        throw new StorageError(`cannot open vault index ${file}: ${(err as Error).message}`, err);
      }
    }
    if (opts.rebuild !== false) {
      db.exec(SCHEMA);
      createSecondaryIndexes(db);
      if (fresh) {
        // Bulk indexing: let FTS5 buffer up to 16 MB of terms per transaction and merge segments less eagerly
        // (a cold index of 10,000 notes spends a third less time in FTS5). Persisted in notes_fts_config.
        db.exec("INSERT INTO notes_fts(notes_fts, rank) VALUES('hashsize', 16777216)");
        db.exec("INSERT INTO notes_fts(notes_fts, rank) VALUES('automerge', 8)");
      }
      db.pragma(`user_version = ${INDEX_SCHEMA_VERSION}`);
    }
    this.db = db;
    this.fresh = fresh;
    this.stmts = prepareAll(db);
    this.totalChanges = db.prepare<[], number>("SELECT total_changes()").pluck();
    this.mergeFts = db.prepare<[number]>("INSERT INTO notes_fts(notes_fts, rank) VALUES('merge', ?)");
  }

  /**
   * Prepares this connection for a bulk load (the reconcile worker's): a 64 MiB page cache (SQLite's default is
   * 2 MiB, too small for the FTS5 and link B-trees of a big vault) and, when the index holds no note yet (a cold
   * build), drops the secondary indexes until {@link endBulkLoad}. Measured on 10,000 notes: about a fifth less
   * CPU in the worker (docs/performance.md).
   */
  beginBulkLoad(): void {
    this.db.pragma("cache_size = -65536");
    if (this.db.prepare("SELECT count(*) FROM notes").pluck().get() !== 0) return;
    for (const name of Object.keys(SECONDARY_INDEXES)) this.db.exec(`DROP INDEX IF EXISTS ${name}`);
  }

  /** Ends a {@link beginBulkLoad}: (re)creates any missing secondary index. Idempotent; call it also on failure. */
  endBulkLoad(): void {
    if (this.db.open) createSecondaryIndexes(this.db);
  }

  /** Opens a transaction (`BEGIN`) that {@link commit} ends; the reconcile jobs batch many notes into one. */
  begin(): void {
    this.db.exec("BEGIN");
  }

  /** Commits the transaction {@link begin} opened, if one is open and the connection too. */
  commit(): void {
    if (this.db.open && this.db.inTransaction) this.db.exec("COMMIT");
  }

  /** Whether a transaction is open on this connection. */
  get inTransaction(): boolean {
    return this.db.open && this.db.inTransaction;
  }

  /** Runs `fn` in a transaction (a savepoint inside an open one); a throw undoes its writes. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /**
   * One step of an incremental merge of all FTS5 segments into one (`'merge'` with a negative page count,
   * https://www.sqlite.org/fts5.html#the_merge_command): about `pages` leaf pages of work (~50 µs each), so a
   * writer can take other work between steps. Run to the end, it leaves one segment, as FTS5's `'optimize'`
   * does. Returns true when there was nothing left to merge (FTS5's documented test: `total_changes()` grew by
   * less than 2).
   */
  mergeStep(pages: number): boolean {
    const before = this.totalChanges.get() as number;
    this.mergeFts.run(-Math.max(1, Math.floor(pages)));
    return (this.totalChanges.get() as number) - before < 2;
  }

  /** Checkpoints and truncates the WAL (`wal_checkpoint(TRUNCATE)`). */
  checkpoint(): void {
    this.db.pragma("wal_checkpoint(TRUNCATE)");
  }

  /** Closes the database (idempotent). */
  close(): void {
    if (this.db.open) this.db.close();
  }
}
