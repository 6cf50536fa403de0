import { monitorEventLoopDelay, performance, type ELDHistogram, type EventLoopUtilization } from "node:perf_hooks";

/** Options of {@link RunScheduler}. */
export interface RunSchedulerOptions {
  /**
   * Most runs executing at once, however idle the loop (config `agent.maxConcurrentRuns`; a function is read at
   * every window, so live edits apply). Default 256.
   */
  maxRuns?: number | (() => number);
  /** Fewest runs the limit shrinks to under CPU load. Default 4 (and never above `maxRuns`). */
  minRuns?: number;
  /** Event-loop delay the limit steers to, in ms (p90 of each window). Default 3. */
  targetLagMs?: number;
  /** Length of one measuring window, in ms. Default 100. */
  windowMs?: number;
  /** Called once the daemon has had no run for `idleMs` after some ran (e.g. to give memory back). */
  onIdle?: () => void;
  /** Quiet time before `onIdle`, in ms. Default 10 000. */
  idleMs?: number;
}

/** Gives back the slot taken by {@link RunScheduler.acquire}; calling it again does nothing. */
export type ReleaseSlot = () => void;

const SAMPLE_MS = 5;
/** Event-loop utilization from which the loop counts as short of CPU. */
const BUSY = 0.9;
/** Event-loop utilization under which the limit doubles instead of growing by a fifth. */
const IDLE = 0.5;

/**
 * Admission control for runs across sessions. Every accepted message is stored at once and its run queued
 * (nothing changes there); the scheduler only decides when a queued run *executes*. At most `limit` run at once
 * (16 to begin with), and the limit adapts to the event loop, cut multiplicatively when it lags and raised while
 * runs wait (the idea of TCP congestion control, RFC 5681): every `windowMs` while runs exist, the loop's delay (perf_hooks
 * `monitorEventLoopDelay`, p90 of the window) is compared with `targetLagMs`. Over it, while the loop is busy
 * 90 % of the window, the limit shrinks by a fifth (not below `minRuns`); under it, or with CPU to spare, while
 * runs wait for a slot, it grows by a fifth plus one, or doubles while the loop is idle half the window (not above
 * `maxRuns`). So runs that wait on a slow model keep the loop idle and the limit climbs until they all run,
 * while a burst of CPU-bound turns (an instant model, hundreds of clients) is spread over loop turns instead of
 * making every connection wait behind one long turn of the loop. Timers run only while runs exist (the window timer
 * stops at the first window without a run, so back-to-back turns do not start and stop it each time), and `onIdle`
 * is called once after a quiet `idleMs`.
 */
export class RunScheduler {
  private readonly maxRunsOf: () => number;
  private readonly minRuns: number;
  private readonly targetLagMs: number;
  private readonly windowMs: number;
  private readonly waiters: Array<{ grant: (release: ReleaseSlot) => void }> = [];
  private running = 0;
  private current: number;
  private histogram: ELDHistogram | undefined;
  private timer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  /** performance.now() when the last run ended (the start of the quiet time before `onIdle`). */
  private lastEndMs = 0;
  private readonly onIdle: (() => void) | undefined;
  private readonly idleMs: number;

  constructor(opts: RunSchedulerOptions = {}) {
    const max = opts.maxRuns ?? 256;
    this.maxRunsOf = typeof max === "function" ? max : () => max;
    this.minRuns = Math.max(1, opts.minRuns ?? 4);
    this.targetLagMs = opts.targetLagMs ?? 3;
    this.windowMs = opts.windowMs ?? 100;
    this.current = this.clamp(16);
    this.onIdle = opts.onIdle;
    this.idleMs = opts.idleMs ?? 10_000;
  }

  private clamp(n: number): number {
    const max = Math.max(1, this.maxRunsOf());
    return Math.min(max, Math.max(Math.min(this.minRuns, max), n));
  }

  /** The current limit on runs executing at once. */
  get limit(): number {
    return this.current;
  }

  /** Runs executing now. */
  get runningCount(): number {
    return this.running;
  }

  /** Runs waiting for a slot. */
  get waitingCount(): number {
    return this.waiters.length;
  }

  /**
   * Waits for a slot and resolves with its release function. Resolves at once when a slot is free, or when
   * `signal` is aborted (the run then ends quickly as aborted; its release is a no-op). `onWait` is called when
   * the run has to wait.
   */
  acquire(signal?: AbortSignal, onWait?: () => void): Promise<ReleaseSlot> {
    if (signal?.aborted) return Promise.resolve(() => {});
    this.watch();
    if (this.running < this.current && this.waiters.length === 0) return Promise.resolve(this.take());
    onWait?.();
    return new Promise((resolve) => {
      const waiter = {
        grant: (release: ReleaseSlot) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(release);
        },
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(() => {});
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /**
   * One step of the controller with the window's event-loop delay `lagMs` and utilization (0..1, the share of
   * the window the loop was busy, perf_hooks `eventLoopUtilization`): shrinks the limit when the loop lags more
   * than the target *and* is busy (at least {@link BUSY}: the runs are what keeps it busy); grows it, while runs
   * wait, when the loop keeps up or has time to spare (a burst of chunks from slow model streams can delay a
   * timer without the loop being short of CPU). Returns the new limit. Called by the timer; public for tests.
   */
  adjust(lagMs: number, utilization = 1): number {
    const busy = utilization >= BUSY;
    if (lagMs > this.targetLagMs && busy) this.current = this.clamp(Math.floor(this.current * 0.8));
    else if (this.waiters.length > 0 && this.running >= this.current && (lagMs <= this.targetLagMs || !busy)) {
      // half idle: room for many more at once (a burst of clients on a slow model), so double
      this.current = this.clamp(utilization < IDLE ? this.current * 2 : Math.ceil(this.current * 1.2) + 1);
    }
    else this.current = this.clamp(this.current);
    this.admit();
    return this.current;
  }

  /** Stops the timers (the daemon is stopping). Waiting runs are not dropped: releases still admit them. */
  stop(): void {
    this.unwatch();
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private take(): ReleaseSlot {
    this.running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      this.admit();
      if (this.running === 0 && this.waiters.length === 0) {
        // the quiet time starts now; one timer serves every run's end (it checks when it fires, see idleCheck)
        this.lastEndMs = performance.now();
        if (this.onIdle && !this.idleTimer) this.armIdle(this.idleMs);
      }
    };
  }

  private armIdle(ms: number): void {
    this.idleTimer = setTimeout(this.idleCheck, ms);
    this.idleTimer.unref();
  }

  /** `onIdle` once no run has been active for `idleMs`; a run since then moves the check to `idleMs` after it ended. */
  private readonly idleCheck = (): void => {
    this.idleTimer = undefined;
    if (this.running > 0 || this.waiters.length > 0) return; // the run's end arms it again
    const quietMs = performance.now() - this.lastEndMs;
    if (quietMs < this.idleMs) this.armIdle(this.idleMs - quietMs);
    else this.onIdle?.();
  };

  private admit(): void {
    while (this.running < this.current && this.waiters.length > 0) this.waiters.shift()!.grant(this.take());
  }

  private watch(): void {
    if (this.timer) return;
    const h = (this.histogram ??= monitorEventLoopDelay({ resolution: SAMPLE_MS }));
    h.reset();
    h.enable();
    let elu: EventLoopUtilization = performance.eventLoopUtilization();
    this.timer = setInterval(() => {
      if (this.running === 0 && this.waiters.length === 0) return this.unwatch(); // a window without runs
      // the histogram records whole sampling intervals: the delay is what exceeds the interval
      const lagMs = h.count > 0 ? Math.max(0, h.percentile(90) / 1e6 - SAMPLE_MS) : 0;
      h.reset();
      const now = performance.eventLoopUtilization();
      const utilization = performance.eventLoopUtilization(now, elu).utilization;
      elu = now;
      this.adjust(lagMs, utilization);
    }, this.windowMs);
    this.timer.unref();
  }

  private unwatch(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.histogram?.disable();
  }
}
