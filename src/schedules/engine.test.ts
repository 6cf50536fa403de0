import { afterEach, describe, expect, it } from "vitest";
import { ScheduleEngine } from "./engine.js";
import { scheduleFixture } from "./test-support.js";
import type { FiringRow, ScheduleRow } from "../store/schedule-queries.js";

const fixtures: Array<ReturnType<typeof scheduleFixture>> = [];
afterEach(() => {
  for (const f of fixtures.splice(0)) f.cleanup();
});

function setup() {
  const f = scheduleFixture();
  fixtures.push(f);
  const fired: Array<{ job: ScheduleRow; firing: FiringRow }> = [];
  const engine = new ScheduleEngine({ queries: f.queries, logger: f.logger, now: () => f.clock.now, execute: async (job, firing) => void fired.push({ job, firing }) });
  return { ...f, engine, fired };
}

describe("ScheduleEngine", () => {
  it("fires a due job once per due time and moves it to its next due time", () => {
    const t = setup();
    const job = t.service.create({ name: "tick", prompt: "p", everyMs: 1000 }, "api");
    expect(job.nextDueAt).toBe(t.clock.now + 1000);
    t.clock.now += 1000;
    t.engine.tick();
    t.engine.tick(); // the same instant again: nothing new
    expect(t.fired.map((x) => x.firing.dueAt)).toEqual([job.nextDueAt]);
    expect(t.queries.get(job.id)!.nextDueAt).toBe(job.nextDueAt! + 1000);
    t.engine.stop();
  });

  it("records a due time at most once, even when claimed again (a crash after the commit)", () => {
    const t = setup();
    const job = t.service.create({ name: "x", prompt: "p", cron: "0 9 * * *" }, "api");
    const first = t.queries.claim({ scheduleId: job.id, dueAt: 123, trigger: "due", nextDueAt: 456 });
    const again = t.queries.claim({ scheduleId: job.id, dueAt: 123, trigger: "due", nextDueAt: 456 });
    expect(first?.status).toBe("running");
    expect(again).toBeUndefined();
    expect(t.queries.firings(job.id, 10)).toHaveLength(1);
  });

  it("at start fires a missed one-shot once, a missed recurring job once (catchUp once) or not at all (skip)", () => {
    const t = setup();
    const shot = t.service.create({ name: "shot", prompt: "p", at: "in 5 minutes" }, "api");
    const once = t.service.create({ name: "once", prompt: "p", cron: "*/1 * * * *" }, "api");
    const skip = t.service.create({ name: "skip", prompt: "p", cron: "*/1 * * * *", catchUp: "skip" }, "api");
    t.clock.now += 3_600_000; // the daemon was down for an hour
    t.engine.start();
    t.engine.stop();
    const byJob = (id: string) => t.fired.filter((x) => x.job.id === id).map((x) => x.firing);
    expect(byJob(shot.id)).toMatchObject([{ trigger: "catch_up", dueAt: shot.nextDueAt }]);
    expect(byJob(once.id)).toHaveLength(1);
    expect(byJob(skip.id)).toHaveLength(0);
    expect(t.queries.get(shot.id)!.nextDueAt).toBeNull();
    for (const id of [once.id, skip.id]) expect(t.queries.get(id)!.nextDueAt).toBeGreaterThan(t.clock.now);
  });

  it("resumes firings a stop left running, without recording a new one", () => {
    const t = setup();
    const job = t.service.create({ name: "x", prompt: "p", cron: "0 9 * * *" }, "api");
    const firing = t.queries.claim({ scheduleId: job.id, dueAt: 1, trigger: "due", nextDueAt: job.nextDueAt })!;
    t.engine.start();
    t.engine.stop();
    expect(t.fired.map((x) => x.firing.id)).toEqual([firing.id]);
    expect(t.queries.firings(job.id, 10)).toHaveLength(1);
  });

  it("runs a job now as a manual firing without changing its schedule", () => {
    const t = setup();
    const job = t.service.create({ name: "x", prompt: "p", cron: "0 9 * * *" }, "api");
    const a = t.engine.runNow(job);
    const b = t.engine.runNow(job);
    expect([a.trigger, b.trigger]).toEqual(["manual", "manual"]);
    expect(a.id).not.toBe(b.id);
    expect(t.queries.get(job.id)!.nextDueAt).toBe(job.nextDueAt);
  });
});

describe("firing history", () => {
  it("keeps the newest FIRINGS_KEPT_PER_JOB finished firings of a job", async () => {
    const { FIRINGS_KEPT_PER_JOB } = await import("../store/schedule-queries.js");
    const t = setup();
    const job = t.service.create({ name: "x", prompt: "p", everyMs: 1000 }, "api");
    for (let i = 1; i <= FIRINGS_KEPT_PER_JOB + 5; i++) {
      const f = t.queries.claim({ scheduleId: job.id, dueAt: i, trigger: "due", nextDueAt: i + 1 })!;
      t.queries.updateFiring(f.id, { status: "ok" });
    }
    const kept = t.queries.firings(job.id, 5000);
    expect(kept).toHaveLength(FIRINGS_KEPT_PER_JOB);
    expect(Math.min(...kept.map((f) => f.dueAt))).toBe(6);
  });
});
