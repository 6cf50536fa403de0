import { and, count, desc, eq, isNotNull, lt, lte, min, ne, sql } from "drizzle-orm";
import type { Store } from "./store.js";
import { schedules, scheduleFirings } from "./schema.js";
import { guardStorage } from "./db.js";
import { newId } from "./ids.js";

/** Firings kept per job (the newest by due time); older finished ones are deleted as new ones are recorded. */
export const FIRINGS_KEPT_PER_JOB = 1000;

/** A stored job row (see the `schedules` table). */
export type ScheduleRow = typeof schedules.$inferSelect;
/** A stored firing row (see the `schedule_firings` table). */
export type FiringRow = typeof scheduleFirings.$inferSelect;

/**
 * The SQL of scheduled jobs and their firings (issue 11), over the agent's {@link Store}. Every write is one
 * statement or one transaction; SQLite errors surface as `StorageError` with nothing half-written.
 */
export class ScheduleQueries {
  constructor(private readonly store: Store) {}

  private get db() {
    return this.store.db;
  }

  /** Inserts a job row. */
  insert(row: ScheduleRow): void {
    guardStorage("store the schedule", () => this.db.insert(schedules).values(row).run());
  }

  /** Updates fields of a job (and its `updatedAt`). */
  update(id: string, set: Partial<Omit<ScheduleRow, "id" | "createdAt">>): void {
    guardStorage("update the schedule", () => this.db.update(schedules).set({ updatedAt: Date.now(), ...set }).where(eq(schedules.id, id)).run());
  }

  /** Deletes a job and (cascade) its firings. Returns whether a row was deleted. */
  delete(id: string): boolean {
    return guardStorage("delete the schedule", () => this.db.delete(schedules).where(eq(schedules.id, id)).run()).changes > 0;
  }

  /** A job by id, or undefined. */
  get(id: string): ScheduleRow | undefined {
    return this.db.select().from(schedules).where(eq(schedules.id, id)).get();
  }

  /** Every job, oldest first. */
  list(): ScheduleRow[] {
    return this.db.select().from(schedules).orderBy(schedules.createdAt, schedules.id).all();
  }

  /** Enabled jobs due at `nowMs` or earlier, earliest first. */
  due(nowMs: number): ScheduleRow[] {
    return this.db.select().from(schedules)
      .where(and(eq(schedules.enabled, true), isNotNull(schedules.nextDueAt), lte(schedules.nextDueAt, nowMs)))
      .orderBy(schedules.nextDueAt, schedules.id).all();
  }

  /** The earliest due time (epoch ms) of an enabled job, or undefined when none is due ever. */
  earliestDue(): number | undefined {
    const r = this.db.select({ at: min(schedules.nextDueAt) }).from(schedules).where(eq(schedules.enabled, true)).get();
    return r?.at ?? undefined;
  }

  /**
   * Records the firing of `scheduleId` for `dueAt` and moves the job to `nextDueAt`, in one transaction. The pair
   * `(scheduleId, dueAt)` is unique: when that firing already exists (a crash after the commit), nothing is
   * inserted and undefined is returned, so a due time never fires twice. A manual firing passes `nextDueAt: "keep"`.
   */
  claim(input: { scheduleId: string; dueAt: number; trigger: FiringRow["trigger"]; nextDueAt: number | null | "keep" }): FiringRow | undefined {
    const row: FiringRow = {
      id: newId("f"), scheduleId: input.scheduleId, dueAt: input.dueAt, trigger: input.trigger, status: "running", attempts: 0, resumes: 0,
      runId: null, error: null, deliveryIds: [], startedAt: Date.now(), finishedAt: null,
    };
    return guardStorage("record the firing", () =>
      this.store.transaction(() => {
        const inserted = this.db.insert(scheduleFirings).values(row).onConflictDoNothing().run().changes > 0;
        if (inserted) this.prune(input.scheduleId);
        if (input.nextDueAt !== "keep") this.db.update(schedules).set({ nextDueAt: input.nextDueAt }).where(eq(schedules.id, input.scheduleId)).run();
        return inserted ? row : undefined;
      }),
    );
  }

  /**
   * Deletes a job's finished firings beyond the newest {@link FIRINGS_KEPT_PER_JOB} (by due time), so a job firing
   * every second does not grow the database without end. Due times only move forward, so a pruned one never fires again.
   */
  private prune(scheduleId: string): void {
    const oldestKept = this.db.select({ dueAt: scheduleFirings.dueAt }).from(scheduleFirings).where(eq(scheduleFirings.scheduleId, scheduleId))
      .orderBy(desc(scheduleFirings.dueAt)).limit(1).offset(FIRINGS_KEPT_PER_JOB - 1);
    this.db.delete(scheduleFirings)
      .where(and(eq(scheduleFirings.scheduleId, scheduleId), ne(scheduleFirings.status, "running"), lt(scheduleFirings.dueAt, sql`(${oldestKept})`))).run();
  }

  /** Updates a firing. */
  updateFiring(id: string, set: Partial<Omit<FiringRow, "id" | "scheduleId" | "dueAt">>): void {
    guardStorage("update the firing", () => this.db.update(scheduleFirings).set(set).where(eq(scheduleFirings.id, id)).run());
  }

  /** A firing by id, or undefined. */
  getFiring(id: string): FiringRow | undefined {
    return this.db.select().from(scheduleFirings).where(eq(scheduleFirings.id, id)).get();
  }

  /** A job's firings, newest due time first. */
  firings(scheduleId: string, limit: number): FiringRow[] {
    return this.db.select().from(scheduleFirings).where(eq(scheduleFirings.scheduleId, scheduleId))
      .orderBy(desc(scheduleFirings.startedAt), desc(scheduleFirings.id)).limit(limit).all();
  }

  /** For `/metrics`: enabled jobs, and recorded firings per status (every status present, zeros included). */
  metrics(): { enabledJobs: number; firings: Record<FiringRow["status"], number> } {
    const enabledJobs = this.db.select({ n: count() }).from(schedules).where(eq(schedules.enabled, true)).get()?.n ?? 0;
    const firings: Record<FiringRow["status"], number> = { running: 0, ok: 0, silent: 0, skipped: 0, failed: 0 };
    for (const r of this.db.select({ status: scheduleFirings.status, n: count() }).from(scheduleFirings).groupBy(scheduleFirings.status).all()) firings[r.status] = r.n;
    return { enabledJobs, firings };
  }

  /** Firings a stop left `running` (resumed at start), oldest first. */
  running(): FiringRow[] {
    return this.db.select().from(scheduleFirings).where(eq(scheduleFirings.status, "running")).orderBy(scheduleFirings.startedAt).all();
  }
}
