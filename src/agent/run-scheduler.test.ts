import { describe, expect, it } from "vitest";
import { RunScheduler } from "./run-scheduler.js";

const tick = () => new Promise((r) => setImmediate(r));

describe("RunScheduler", () => {
  it("runs at most `limit` at once; the next waits (onWait is told) and starts when a slot frees", async () => {
    const s = new RunScheduler({ maxRuns: 2, minRuns: 1 });
    const a = await s.acquire();
    const b = await s.acquire();
    let waited = 0;
    let granted = false;
    const c = s.acquire(undefined, () => waited++).then((r) => ((granted = true), r));
    await tick();
    expect([s.limit, s.runningCount, s.waitingCount, waited, granted]).toEqual([2, 2, 1, 1, false]);
    a();
    a(); // a second release changes nothing
    const release = await c;
    expect([s.runningCount, s.waitingCount, granted]).toEqual([2, 0, true]);
    b();
    release();
    expect(s.runningCount).toBe(0);
    s.stop();
  });

  it("lets an aborted waiter go at once, without a slot", async () => {
    const s = new RunScheduler({ maxRuns: 1, minRuns: 1 });
    const a = await s.acquire();
    const ctl = new AbortController();
    const waiting = s.acquire(ctl.signal);
    await tick();
    expect(s.waitingCount).toBe(1);
    ctl.abort();
    const noop = await waiting;
    expect([s.waitingCount, s.runningCount]).toEqual([0, 1]);
    noop();
    expect(s.runningCount).toBe(1);
    a();
    expect(s.runningCount).toBe(0);
    s.stop();
  });

  it("shrinks the limit by a fifth while the loop lags, grows it while runs wait and the loop keeps up", async () => {
    const s = new RunScheduler({ maxRuns: 100, minRuns: 4, targetLagMs: 10 });
    expect(s.limit).toBe(16);
    expect(s.adjust(50)).toBe(12);
    expect(s.adjust(50)).toBe(9);
    for (let i = 0; i < 10; i++) s.adjust(50);
    expect(s.limit).toBe(4); // never below minRuns
    // no one waits: a quiet loop alone does not raise the limit
    expect(s.adjust(0)).toBe(4);
    const held = await Promise.all(Array.from({ length: 4 }, () => s.acquire()));
    const waiting = Array.from({ length: 20 }, () => s.acquire());
    await tick();
    expect(s.waitingCount).toBe(20);
    expect(s.adjust(1)).toBe(6); // ceil(4 × 1.2) + 1, and two waiters are admitted
    expect([s.runningCount, s.waitingCount]).toEqual([6, 18]);
    for (let i = 0; i < 10; i++) s.adjust(0);
    expect([s.runningCount, s.waitingCount]).toEqual([24, 0]);
    for (const r of [...held, ...(await Promise.all(waiting))]) r();
    s.stop();
  });

  it("does not shrink for a delay while the loop has CPU to spare, and grows then if runs wait (doubles when half idle)", async () => {
    const s = new RunScheduler({ maxRuns: 100, minRuns: 4, targetLagMs: 10 });
    expect(s.adjust(50, 0.4)).toBe(16);
    const held = await Promise.all(Array.from({ length: 16 }, () => s.acquire()));
    const waiting = Array.from({ length: 30 }, () => s.acquire());
    await tick();
    expect(s.adjust(50, 0.6)).toBe(21);
    expect(s.adjust(50, 0.95)).toBe(16);
    expect(s.adjust(50, 0.3)).toBe(32); // idle more than half the window: doubles
    for (const r of [...held, ...(await Promise.all(waiting))]) r();
    s.stop();
  });

  it("never passes maxRuns, read live", async () => {
    let max = 3;
    const s = new RunScheduler({ maxRuns: () => max, minRuns: 1 });
    expect(s.limit).toBe(3);
    const held = await Promise.all([s.acquire(), s.acquire(), s.acquire()]);
    const more = [s.acquire(), s.acquire()];
    await tick();
    expect(s.adjust(0)).toBe(3);
    max = 5;
    expect(s.adjust(0)).toBe(5);
    expect(s.waitingCount).toBe(0);
    for (const r of [...held, ...(await Promise.all(more))]) r();
    s.stop();
  });

  it("calls onIdle once, idleMs after the last run ended, and not while runs come and go", async () => {
    let idle = 0;
    const s = new RunScheduler({ onIdle: () => idle++, idleMs: 60 });
    const a = await s.acquire();
    await new Promise((r) => setTimeout(r, 90));
    expect(idle).toBe(0); // a run is active
    a();
    await new Promise((r) => setTimeout(r, 30));
    (await s.acquire())(); // a new run within the quiet time starts the wait again
    await new Promise((r) => setTimeout(r, 40));
    expect(idle).toBe(0);
    await new Promise((r) => setTimeout(r, 60));
    expect(idle).toBe(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(idle).toBe(1);
    s.stop();
  });

  it("lowers the limit by itself when runs block the event loop", async () => {
    const s = new RunScheduler({ maxRuns: 64, minRuns: 2, targetLagMs: 10, windowMs: 50 });
    const release = await s.acquire();
    const before = s.limit;
    const until = Date.now() + 600;
    while (Date.now() < until) {
      const end = Date.now() + 40; // a 40 ms stretch of synchronous work, then one turn of the loop
      while (Date.now() < end) {
        /* busy */
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(s.limit).toBeLessThan(before);
    release();
    s.stop();
  });
});
