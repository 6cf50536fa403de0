import type { Logger } from "pino";
import type { FiringRow, ScheduleQueries, ScheduleRow } from "../store/schedule-queries.js";
import { nextDue, whenOf } from "../config/sections/schedule-timing.js";

/** Longest single timer wait, in ms: the engine re-reads the earliest due time at least this often (1 minute). */
export const MAX_TIMER_MS = 60_000;
/**
 * How late (ms) a recurring job's due time may be found while the daemon runs (a stalled event loop, a suspended
 * machine) and still fire one by one; older due times are coalesced into one firing like a catch-up (1 minute).
 */
export const LATE_GRACE_MS = 60_000;

/** Runs one claimed firing to its end (the executor); never throws. */
export type FiringExecutor = (job: ScheduleRow, firing: FiringRow) => Promise<void>;

/**
 * The timer of scheduled jobs (issue 11). One `setTimeout` waits for the earliest due time in SQLite; when it fires,
 * each due job's firing is claimed (recorded with its due time, the job moved to its next due time, in one
 * transaction: see {@link ScheduleQueries.claim}) and handed to the executor. At start it resumes firings a stop
 * left running and applies `catchUp` to due times missed while the daemon was down: a one-shot fires once, a
 * recurring job fires once (`once`) or not at all (`skip`), and moves on to its next due time after now.
 */
export class ScheduleEngine {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly inflight = new Set<Promise<void>>();

  constructor(private readonly deps: { queries: ScheduleQueries; execute: FiringExecutor; logger: Logger; now?: () => number }) {}

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  /** Resumes interrupted firings, fires missed jobs per their `catchUp`, and arms the timer. */
  start(): void {
    const q = this.deps.queries;
    for (const firing of q.running()) {
      const job = q.get(firing.scheduleId);
      if (!job) continue;
      this.deps.logger.info({ scheduleId: job.id, firingId: firing.id, resumes: firing.resumes + 1 }, "resuming a firing the last stop interrupted");
      q.updateFiring(firing.id, { resumes: firing.resumes + 1 });
      this.launch(job, { ...firing, resumes: firing.resumes + 1 });
    }
    const now = this.now();
    for (const job of q.due(now)) {
      const when = whenOf(job.kind, job.spec);
      const next = when.kind === "at" ? null : nextDue(when, job.timezone, now, job.nextDueAt!);
      if (when.kind !== "at" && job.catchUp === "skip") {
        this.deps.logger.info({ scheduleId: job.id, missedDueAt: new Date(job.nextDueAt!).toISOString() }, "skipping a due time missed while the daemon was down (catchUp: skip)");
        q.update(job.id, { nextDueAt: next });
        continue;
      }
      const firing = q.claim({ scheduleId: job.id, dueAt: job.nextDueAt!, trigger: "catch_up", nextDueAt: next });
      if (firing) this.launch(job, firing);
    }
    this.arm();
  }

  /** Re-reads the earliest due time and sets the timer (call after any change of a job). */
  arm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopped) return;
    const earliest = this.deps.queries.earliestDue();
    if (earliest === undefined) return;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, earliest - this.now()));
    this.timer = setTimeout(() => this.tick(), delay);
    this.timer.unref();
  }

  /** Fires every job due now, then re-arms. */
  tick(): void {
    if (this.stopped) return;
    const now = this.now();
    // every due job's firing is recorded first, then they start: the last one's record does not wait for the
    // others' runs to be accepted
    const claimed: Array<[ScheduleRow, FiringRow]> = [];
    let failed = false;
    try {
      for (const job of this.deps.queries.due(now)) {
        const when = whenOf(job.kind, job.spec);
        const dueAt = job.nextDueAt!;
        let next: number | null = null;
        if (when.kind !== "at") {
          next = nextDue(when, job.timezone, dueAt, dueAt);
          // found very late (a stall): coalesce the due times in between into this firing
          if (next !== null && next < now - LATE_GRACE_MS) next = nextDue(when, job.timezone, now, dueAt);
        }
        const firing = this.deps.queries.claim({ scheduleId: job.id, dueAt, trigger: "due", nextDueAt: next });
        if (firing) claimed.push([job, firing]);
      }
    } catch (err) {
      this.deps.logger.error({ err }, "could not fire the due schedules; trying again shortly");
      failed = true;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.tick(), 1000);
      this.timer.unref();
    }
    for (const [job, firing] of claimed) this.launch(job, firing);
    if (!failed) this.arm();
  }

  /**
   * Fires a job now (`POST /api/schedules/{id}/run`): a `manual` firing due now; the job's schedule is unchanged.
   * Returns the recorded firing (its run continues in the background).
   */
  runNow(job: ScheduleRow): FiringRow {
    let dueAt = this.now();
    let firing: FiringRow | undefined;
    // two manual runs in the same millisecond are two firings
    while (!(firing = this.deps.queries.claim({ scheduleId: job.id, dueAt, trigger: "manual", nextDueAt: "keep" }))) dueAt++;
    this.launch(job, firing);
    return firing;
  }

  /** Stops the timer; firings still running stay `running` in SQLite and are resumed at the next start. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Resolves once every firing started so far has ended (tests, benchmarks). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }

  private launch(job: ScheduleRow, firing: FiringRow): void {
    const p = this.deps.execute(job, firing).catch((err: unknown) => this.deps.logger.error({ err, scheduleId: job.id, firingId: firing.id }, "a firing failed unexpectedly"));
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }
}
