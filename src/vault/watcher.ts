import { watch, type FSWatcher } from "chokidar";
import { relative, sep } from "node:path";
import type { Logger } from "pino";

/** What the watcher reports, as vault-relative paths with forward slashes, after a debounce. */
export interface WatcherHandlers {
  /** A file may have been created, changed or deleted: the receiver re-checks the disk. */
  onPath(rel: string): void;
  /** A folder vanished (deleted or renamed away). */
  onFolderRemoved(rel: string): void;
  /** The watcher finished its initial scan (it now sees every change). */
  onReady(): void;
}

/**
 * Watches the vault folder with chokidar (native `fs.watch`; editors' temp-file-and-rename saves arrive as one
 * `change`). Hidden folders and files (`.obsidian/`, `.trash/`, `.git/`, our own temp files) are ignored;
 * symlinks are not followed. Events are coalesced per path for `debounceMs` (default 10 ms) and delivered as
 * "check this path", so the receiver never trusts the event kind, only the disk.
 */
export class VaultWatcher {
  private watcher: FSWatcher | undefined;
  private readonly pending = new Set<string>();
  private readonly removedFolders = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly debounceMs: number;
  private readonly root: string;
  private readonly handlers: WatcherHandlers;
  private readonly logger: Logger;

  constructor(root: string, handlers: WatcherHandlers, logger: Logger, opts: { debounceMs?: number } = {}) {
    this.root = root;
    this.handlers = handlers;
    this.logger = logger;
    this.debounceMs = opts.debounceMs ?? 10;
  }

  private rel(abs: string): string | undefined {
    const rel = relative(this.root, abs);
    if (rel === "" || rel.startsWith("..")) return undefined;
    return sep === "/" ? rel : rel.split(sep).join("/");
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), this.debounceMs);
    this.timer.unref();
  }

  private flush(): void {
    this.timer = undefined;
    const folders = [...this.removedFolders];
    const paths = [...this.pending];
    this.removedFolders.clear();
    this.pending.clear();
    for (const f of folders) this.safe(() => this.handlers.onFolderRemoved(f));
    for (const p of paths) this.safe(() => this.handlers.onPath(p));
  }

  private safe(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.logger.warn({ err }, "vault: watcher handler failed");
    }
  }

  /** Starts watching (no events for files that already exist; the indexer's reconcile covers those). */
  start(): void {
    const root = this.root;
    this.watcher = watch(root, {
      ignoreInitial: true,
      followSymlinks: false,
      ignored: (p: string) => {
        const rel = relative(root, p);
        return rel !== "" && !rel.startsWith("..") && rel.split(sep).some((s) => s.startsWith("."));
      },
    });
    this.watcher.on("all", (event, abs) => {
      const rel = this.rel(abs);
      if (rel === undefined) return;
      if (event === "unlinkDir") this.removedFolders.add(rel);
      else if (event === "add" || event === "change" || event === "unlink") this.pending.add(rel);
      else return;
      this.schedule();
    });
    this.watcher.on("ready", () => this.safe(() => this.handlers.onReady()));
    this.watcher.on("error", (err) => this.logger.warn({ err }, "vault: watcher error"));
  }

  /** Stops watching and drops pending events. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
    this.removedFolders.clear();
    await this.watcher?.close();
    this.watcher = undefined;
  }
}
