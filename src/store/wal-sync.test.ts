import { describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Store } from "./store.js";
import { WalSync } from "./wal-sync.js";
import { StorageError } from "../errors.js";
import { LoopBudget } from "../loop-budget.js";

const dbFile = () => join(mkdtempSync(join(tmpdir(), "walsync-")), "agentd.db");

/** Opens files for real and records, in order, each fdatasync with how many accepted messages it covered. */
function spyingOpen(log: string[], committed: () => number, opens = { n: 0 }) {
  return async (path: string, flags: string) => {
    opens.n++;
    const file = await open(path, flags);
    return {
      datasync: async () => {
        log.push(`fdatasync ${path.slice(path.lastIndexOf("/") + 1)} after ${committed()} commits`);
        await file.datasync();
      },
      close: () => file.close(),
    };
  };
}

describe("WalSync (group commit)", () => {
  it("fdatasyncs the WAL after the accept transaction committed, before durable() resolves", async () => {
    const file = dbFile();
    const s = new Store(file);
    const session = s.createSession();
    let commits = 0;
    const log: string[] = [];
    (s as { walSync: WalSync }).walSync = new WalSync(`${file}-wal`, spyingOpen(log, () => commits));
    s.acceptMessage({ sessionId: session.id, content: "hi", idempotencyKey: "k1" });
    commits++;
    expect(log).toEqual([]); // the commit itself does not wait for the disk
    await s.durable();
    expect(log).toEqual(["fdatasync agentd.db-wal after 1 commits"]);
    s.close();
  });

  it("shares one fsync among the callers waiting at once, and gives a later caller a new one", async () => {
    const file = dbFile();
    const s = new Store(file);
    const session = s.createSession();
    let commits = 0;
    const log: string[] = [];
    const sync = new WalSync(`${file}-wal`, spyingOpen(log, () => commits));
    const waits: Array<Promise<void>> = [];
    for (let i = 0; i < 10; i++) {
      s.acceptMessage({ sessionId: session.id, content: `m${i}`, idempotencyKey: `k${i}` });
      commits++;
      waits.push(sync.sync());
    }
    await Promise.all(waits);
    // the first call started an fsync at once; the 9 that came while it was under way share the next one
    expect(log).toHaveLength(2);
    expect(sync.stats).toEqual({ syncs: 2, covered: 10 });
    // a caller arriving now gets an fsync of its own that starts after its call
    await sync.sync();
    expect(log).toHaveLength(3);
    s.close();
  });

  it("hands a batch off under the loop budget: what the waiters do next is spread over iterations, in the order they asked", async () => {
    const file = dbFile();
    const s = new Store(file);
    const session = s.createSession();
    const budget = new LoopBudget(3);
    const sync = new WalSync(`${file}-wal`, open, budget);
    const first = sync.sync(); // an fsync starts at once: the 30 below share the next one
    const answered: number[] = [];
    const waits = Array.from({ length: 30 }, (_, i) => {
      s.acceptMessage({ sessionId: session.id, content: `m${i}`, idempotencyKey: `k${i}` });
      return sync.sync().then(() => {
        const end = performance.now() + 1; // each answer costs 1 ms of CPU
        while (performance.now() < end);
        answered.push(i);
      });
    });
    await Promise.all([first, ...waits]);
    expect(sync.stats).toEqual({ syncs: 2, covered: 31 });
    expect(answered).toEqual(Array.from({ length: 30 }, (_, i) => i));
    // 30 ms of answers under a 3 ms budget: worked off over several iterations, not in one
    expect(budget.stats.slices).toBeGreaterThanOrEqual(5);
    s.close();
  });

  it("opens the WAL once and keeps it open between syncs; after a failed sync it opens it again", async () => {
    const file = dbFile();
    const s = new Store(file);
    const session = s.createSession();
    const opens = { n: 0 };
    const log: string[] = [];
    let commits = 0;
    let failNext = false;
    const open = spyingOpen(log, () => commits, opens);
    const sync = new WalSync(`${file}-wal`, async (path, flags) => {
      const f = await open(path, flags);
      return { datasync: () => (failNext ? ((failNext = false), Promise.reject(Object.assign(new Error("EIO"), { code: "EIO" }))) : f.datasync()), close: f.close };
    });
    for (let i = 0; i < 3; i++) {
      s.acceptMessage({ sessionId: session.id, content: `m${i}`, idempotencyKey: `k${i}` });
      commits++;
      await sync.sync();
    }
    expect(log).toHaveLength(3);
    expect(opens.n).toBe(1);
    failNext = true;
    await expect(sync.sync()).rejects.toThrow(/fdatasync of the WAL failed \(EIO\)/);
    await sync.sync();
    expect(opens.n).toBe(2);
    await sync.close();
    s.close();
  });

  it("rejects with a StorageError when the WAL cannot be synced, so nothing is acknowledged", async () => {
    const sync = new WalSync(join(mkdtempSync(join(tmpdir(), "walsync-")), "missing.db-wal"));
    await expect(sync.sync()).rejects.toBeInstanceOf(StorageError);
    await expect(sync.sync()).rejects.toThrow(/could not make the write durable: fdatasync of the WAL failed \(ENOENT\)/);
  });
});
