import { describe, expect, it } from "vitest";
import { LoopBudget } from "./loop-budget.js";

/** Keeps the thread busy for `ms` of wall time (a step that costs CPU). */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

/** Counts event-loop iterations that ran timers: a 0 ms timer re-armed until `stop()`. */
function timerTicks(): { count: () => number; stop: () => void } {
  let n = 0;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => (timer = setTimeout(() => (n++, arm()), 0));
  arm();
  return { count: () => n, stop: () => clearTimeout(timer) };
}

describe("LoopBudget", () => {
  it("lets steps within the budget go on in the iteration they asked in, in order", async () => {
    const b = new LoopBudget(1_000);
    const order: string[] = [];
    const immediate = new Promise<void>((r) => setImmediate(() => (order.push("next iteration"), r())));
    await Promise.all([1, 2, 3].map(async (i) => (await b.pass(), order.push(`step ${i}`))));
    await immediate;
    expect(order).toEqual(["step 1", "step 2", "step 3", "next iteration"]);
    expect(b.stats).toEqual({ immediate: 3, deferred: 0, slices: 0 });
  });

  it("splits a burst over the budget across iterations, in order, with timers running between the slices", async () => {
    const b = new LoopBudget(5);
    const ticks = timerTicks();
    const ran: Array<{ step: number; ticks: number }> = [];
    // 20 steps of 2 ms asked at once: at most 3 fit in a 5 ms budget, so they cannot all run in one iteration
    await Promise.all(
      Array.from({ length: 20 }, async (_, step) => {
        await b.pass();
        busy(2);
        ran.push({ step, ticks: ticks.count() });
      }),
    );
    ticks.stop();
    expect(ran.map((r) => r.step)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(b.stats.deferred).toBeGreaterThan(0);
    expect(b.stats.slices).toBeGreaterThanOrEqual(Math.ceil(b.stats.deferred / 3));
    // the timer phase ran while the burst was worked off: later steps saw more timer ticks than the first
    expect(ran.at(-1)!.ticks).toBeGreaterThan(ran[0]!.ticks);
  });

  it("runs at least one queued step per iteration however long it takes (no starvation)", async () => {
    const b = new LoopBudget(0);
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2, 3].map(async (i) => {
        await b.pass();
        busy(3);
        order.push(i);
      }),
    );
    expect(order).toEqual([0, 1, 2, 3]);
    expect(b.stats).toEqual({ immediate: 0, deferred: 4, slices: 4 }); // nothing fits a budget of 0: one per iteration
  });

  it("never lets a later step overtake a queued one, whether it asks through pass or forEach", async () => {
    const b = new LoopBudget(1);
    const order: string[] = [];
    await b.pass(); // opens the window
    busy(2); // the budget of this iteration is spent
    const queued = b.pass();
    const handedOff = b.forEach(["a", "b", "c"], (x) => order.push(x));
    void queued.then(() => order.push("queued"));
    await handedOff;
    await queued;
    expect(order).toEqual(["queued", "a", "b", "c"]);
  });

  it("counts what each forEach item's continuation does against the budget", async () => {
    const b = new LoopBudget(5);
    const ticks = timerTicks();
    const seen: number[] = [];
    // 12 waiters whose continuation costs 2 ms each: resolving them is free, what follows is not
    const waiters = Array.from({ length: 12 }, (_, i) => {
      let resolve!: () => void;
      const p = new Promise<void>((r) => (resolve = r)).then(() => {
        busy(2);
        seen.push(ticks.count());
      });
      return { i, resolve, p };
    });
    await b.forEach(waiters, (w) => w.resolve());
    await Promise.all(waiters.map((w) => w.p));
    ticks.stop();
    expect(b.stats.slices).toBeGreaterThanOrEqual(3);
    expect(seen.at(-1)!).toBeGreaterThan(seen[0]!);
  });
});
