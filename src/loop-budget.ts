import { performance } from "node:perf_hooks";

/**
 * Default time budget of one event-loop iteration's deferrable work, in ms. The load benchmark (200 clients, an
 * instant model; docs/performance.md "Load: a time budget per loop iteration") gave lag p99 17.7 / 71.4 / 74.9 ms
 * at 2 ms against 61.0–112.4 ms at 3 ms and 62.3–86.8 ms at 5 ms in the same rounds on a loaded machine, with no
 * loss of throughput; a run's start or end costs about a millisecond, so 2 ms still lets a few through per iteration.
 */
export const DEFAULT_LOOP_BUDGET_MS = 2;

/**
 * Rounds of promise jobs {@link LoopBudget} lets run after starting one queued step before it reads the clock
 * again: a started run goes through several `await`s of settled promises before its first real wait (I/O), and the
 * clock should see that work, not only the first synchronous step.
 */
const HOPS_PER_ITEM = 8;

/** Lets {@link HOPS_PER_ITEM} rounds of promise jobs run (a step's continuation) before the caller goes on. */
async function hops(): Promise<void> {
  for (let i = 0; i < HOPS_PER_ITEM; i++) await undefined;
}

/**
 * A time budget per event-loop iteration for deferrable work (cooperative time slicing, the idea of React's
 * scheduler and of `scheduler.yield()` in browsers): the daemon's hot paths ask {@link pass} before a step that
 * costs CPU (a run's start, a run's end, the hand-off of a group commit to the messages it covered, a titling call).
 * Every step waits in one FIFO queue. While the time since the iteration's first request is within `budgetMs`, the
 * queue is worked off in the same iteration, a few promise jobs later (no extra tick, no timer: a lone turn does not
 * wait); past it, the rest waits for later iterations (`setImmediate`, scheduled from the check phase, so the
 * timers and I/O of the next iteration run first), `budgetMs` of work per iteration. Each step's continuation
 * (the promise jobs it starts, {@link HOPS_PER_ITEM} rounds of them) runs before the clock is read again, so the
 * clock sees what a step costs, not only the resolving of its promise. So a burst of hundreds of turns (200 clients
 * answered by an instant model) is spread over iterations of a few ms instead of one iteration of hundreds of ms
 * that delays every timer, socket and fsync (issue 20: the load benchmark's lag p99 < 20 ms).
 *
 * Guarantees: first come, first served (a step never overtakes one that asked before it, so the steps of one
 * session keep their order); every queued step runs, at least one per iteration however long each takes (no
 * starvation); a step is never dropped. The clock counts wall time since the iteration's first {@link pass} (or
 * since a queued batch began), so work the loop does between two requests (socket reads, other callbacks) counts
 * against the budget too.
 */
export class LoopBudget {
  private readonly queue: Array<() => void> = [];
  /** performance.now() when the current window opened; undefined while no window is open. */
  private windowStart: number | undefined;
  private pumping = false;
  private scheduled = false;
  /**
   * Counters (for tests and benchmarks): steps that went on in the iteration they asked in, steps that waited for a
   * later one, and the iterations that worked the queue off.
   */
  readonly stats = { immediate: 0, deferred: 0, slices: 0 };

  /** `budgetMs`: the work allowed per iteration before steps are deferred (default {@link DEFAULT_LOOP_BUDGET_MS}). */
  constructor(readonly budgetMs: number = DEFAULT_LOOP_BUDGET_MS) {}

  /**
   * Asks to take a step. Resolves when the step's turn has come: after every step that asked before it, within
   * this iteration (a few promise jobs later) while its budget lasts, else in a later iteration. Never rejects.
   */
  pass(): Promise<void> {
    return new Promise((resolve) => {
      this.queue.push(resolve);
      this.kick();
    });
  }

  /**
   * Calls `fn` on each item in order, each call one step (see {@link pass}): for a hand-off to many waiters at once
   * (resolving 200 promises in a loop costs nothing; what their continuations do is what the budget must see).
   * Resolves once every item has had its call. `fn` must not throw.
   */
  async forEach<T>(items: readonly T[], fn: (item: T) => void): Promise<void> {
    for (const item of items) {
      await this.pass();
      fn(item);
    }
  }

  private kick(): void {
    if (this.pumping || this.scheduled) return;
    const now = performance.now();
    if (this.windowStart === undefined) {
      // the iteration's first step: a window opens, closed in this iteration's check phase
      this.windowStart = now;
      setImmediate(() => {
        this.windowStart = undefined;
        if (!this.pumping) this.schedule();
      });
    } else if (now - this.windowStart >= this.budgetMs) return; // spent: the window's closer schedules the queue
    this.pumping = true;
    queueMicrotask(() => void this.pump(this.windowStart ?? now, false));
  }

  /** Works the queue off from the next iteration (a setImmediate set from the check phase runs in the next one). */
  private schedule(): void {
    if (this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.stats.slices++;
      this.pumping = true;
      const start = performance.now();
      this.windowStart = start;
      void this.pump(start, true);
    });
  }

  /**
   * Grants queued steps one by one while the window's budget lasts (at least one when `later`: no starvation),
   * letting each step's continuation run before the clock is read again.
   */
  private async pump(start: number, later: boolean): Promise<void> {
    try {
      let first = later;
      while (this.queue.length > 0 && (first || performance.now() - start < this.budgetMs)) {
        first = false;
        if (later) this.stats.deferred++;
        else this.stats.immediate++;
        this.queue.shift()!();
        await hops();
      }
    } finally {
      this.pumping = false;
      if (later) {
        this.windowStart = undefined;
        this.schedule();
      }
    }
  }
}

/**
 * The daemon's one budget, shared by the run loop (a run's start and end), the store's group commit (its hand-off
 * to the messages one fsync covered) and the session titler: one clock for everything an iteration does.
 */
export const loopBudget = new LoopBudget();
