import { open, type FileHandle } from "node:fs/promises";
import { StorageError } from "../errors.js";
import { loopBudget, type LoopBudget } from "../loop-budget.js";

/** A caller of {@link WalSync.sync} waiting for its fsync. */
interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for a SQLite database in WAL mode with `synchronous=NORMAL`: after a transaction has committed,
 * {@link WalSync.sync} resolves once an `fdatasync(2)` of the WAL file that started after the call has finished,
 * so everything committed before the call survives a power cut or an OS crash. Calls made while an fsync runs
 * share the next one: under load, one fsync covers every message accepted meanwhile, and the fsync runs in
 * libuv's thread pool, never on the event loop.
 *
 * Why this is enough (https://www.sqlite.org/wal.html, https://www.sqlite.org/pragma.html#pragma_synchronous):
 * a commit appends its frames to the WAL; with NORMAL, SQLite syncs the WAL before each checkpoint and the
 * database file after it. So a committed frame is either still in the WAL file (our fdatasync makes it durable)
 * or already checkpointed into the database file (SQLite synced it). The WAL is opened read-only, once, and kept
 * open between syncs (an open and a close cost two more trips to the thread pool: ~0.5 ms of a lone turn's 1.1 ms
 * here, issue 20): SQLite keeps its POSIX locks on the database and `-shm` files, not on the WAL, so our handle
 * cannot drop them, and the WAL keeps its inode while the database is open (a checkpoint rewrites or truncates it
 * in place; SQLite deletes it only when the last connection closes, and {@link close} is called before that).
 * After a failed sync the handle is dropped and the next sync opens the file by path again. Linux/ext4 semantics; on macOS fsync does not flush the
 * drive's cache (SQLite's `fullfsync` pragma is the equivalent there).
 */
export class WalSync {
  private running = false;
  /** The WAL, open between syncs (see the class comment); undefined before the first sync and after an error. */
  private file: Pick<FileHandle, "datasync" | "close"> | undefined;
  private waiting: Waiter[] = [];
  /** The hand-off of the last batch (see {@link handOff}). */
  private handedOff: Promise<void> = Promise.resolve();
  /** Number of fsyncs done and of callers they covered, for tests and metrics. */
  readonly stats = { syncs: 0, covered: 0 };

  /**
   * `walFile`: the database's `-wal` file, e.g. `DIR/agentd.db-wal`. `openFile` opens it (default
   * `fs/promises.open`; tests pass a spy).
   */
  constructor(
    private readonly walFile: string,
    private readonly openFile: (path: string, flags: string) => Promise<Pick<FileHandle, "datasync" | "close">> = open,
    private readonly budget: LoopBudget = loopBudget,
  ) {}

  /**
   * Resolves when every transaction committed before this call is on stable storage. Rejects with
   * {@link StorageError} when the WAL cannot be opened or synced (the data may still be committed, but is not
   * known to be durable: the caller must not acknowledge it).
   */
  sync(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.running) void this.loop();
    });
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (this.waiting.length > 0) {
        // everyone waiting now committed before this fsync starts, so it covers them all
        const batch = this.waiting.splice(0);
        try {
          this.file ??= await this.openFile(this.walFile, "r");
          await this.file.datasync();
          this.stats.syncs++;
          this.stats.covered += batch.length;
          // each waiter goes on with its work (a chat.send answers, its held events leave): within the loop's
          // budget now, the rest in later iterations, in order (issue 20: one fsync covered up to 199 turns)
          this.handOff(batch, (w) => w.resolve());
        } catch (err) {
          const file = this.file;
          this.file = undefined;
          await file?.close().catch(() => {});
          const error = new StorageError(`could not make the write durable: fdatasync of the WAL failed (${(err as NodeJS.ErrnoException).code ?? "error"})`, err);
          this.handOff(batch, (w) => w.reject(error));
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** Settles a batch's waiters under the loop budget, after every batch before it (so in the order they asked). */
  private handOff(batch: Waiter[], settle: (w: Waiter) => void): void {
    this.handedOff = this.handedOff.then(() => this.budget.forEach(batch, settle));
  }

  /** Closes the WAL handle kept between syncs (call before closing the database). Later syncs open it again. */
  async close(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    await file?.close().catch(() => {});
  }
}
