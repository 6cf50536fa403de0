import { afterEach, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { executeFiring, type FiringDeps, type JobRunResult } from "./firing.js";
import { scheduleFixture } from "./test-support.js";
import { syncConfigJobs } from "./config-sync.js";
import { heartbeatPrompt } from "./heartbeat.js";
import { HEARTBEAT_JOB_ID } from "./jobs.js";
import { Config } from "../config/schema.js";

const fixtures: Array<ReturnType<typeof scheduleFixture>> = [];
afterEach(() => {
  for (const f of fixtures.splice(0)) f.cleanup();
});

const chat = { platform: "telegram", chatId: "42" };

/** Executor deps with a scripted runner: `results` are the runs' outcomes in order. */
function setup(results: Array<Partial<JobRunResult>>) {
  const f = scheduleFixture();
  fixtures.push(f);
  const runs: Array<{ text: string; idempotencyKey: string; maxSteps?: number | undefined }> = [];
  const delivered: Array<{ text: string; idempotencyKey: string; address: unknown }> = [];
  const sleeps: number[] = [];
  const state = { shuttingDown: false };
  const deps: FiringDeps = {
    queries: f.queries, logger: f.logger,
    runJob: async (input) => {
      runs.push(input);
      const r = results.shift() ?? { status: "ok", text: "done" };
      return { runId: `r${runs.length}`, status: "ok", text: "", ...r };
    },
    deliver: (input) => {
      const dup = delivered.findIndex((d) => d.idempotencyKey === input.idempotencyKey);
      if (dup >= 0) return `d${dup + 1}`;
      delivered.push(input);
      return `d${delivered.length}`;
    },
    sessionFor: () => "s1",
    heartbeatPrompt: (job, prev) => heartbeatPrompt(f.dir, job.check!, prev),
    shuttingDown: () => state.shuttingDown,
    sleep: async (ms) => void sleeps.push(ms),
    formatDue: (ms) => new Date(ms).toISOString(),
  };
  return { ...f, deps, runs, delivered, sleeps, state };
}

describe("executeFiring", () => {
  it("delivers the run's reply once to every target, with the job's limits and one key per attempt", async () => {
    const t = setup([{ status: "ok", text: "Time to stretch!" }]);
    const job = t.service.create({ name: "stretch", prompt: "Remind the user to stretch.", at: "in 2 seconds", deliverTo: [chat, { platform: "discord", chatId: "7" }], maxSteps: 3 }, "agent");
    const firing = t.queries.claim({ scheduleId: job.id, dueAt: job.nextDueAt!, trigger: "due", nextDueAt: null })!;
    await executeFiring(t.deps, job, firing);
    expect(t.runs).toMatchObject([{ idempotencyKey: `schedule:${firing.id}:1`, maxSteps: 3 }]);
    expect(t.runs[0]!.text).toContain("Remind the user to stretch.");
    expect(t.delivered.map((d) => [d.address, d.text])).toEqual([[chat, "Time to stretch!"], [{ platform: "discord", chatId: "7" }, "Time to stretch!"]]);
    expect(t.queries.getFiring(firing.id)).toMatchObject({ status: "ok", attempts: 1, runId: "r1", deliveryIds: ["d1", "d2"] });
    // a resumed firing (crash after the run ended, before it was marked done) re-attaches and delivers nothing new
    t.queries.updateFiring(firing.id, { status: "running" });
    await executeFiring(t.deps, job, t.queries.getFiring(firing.id)!);
    expect(t.runs.map((r) => r.idempotencyKey)).toEqual([`schedule:${firing.id}:1`, `schedule:${firing.id}:1`]);
    expect(t.delivered).toHaveLength(2);
  });

  it("retries a failing job with growing delays, then reports it once to its target", async () => {
    const t = setup([]);
    const job = t.service.create({ name: "digest", prompt: "p", cron: "0 8 * * *", deliverTo: [chat], maxAttempts: 3, retryInitialMs: 1000 }, "api");
    // the second outcome is a timeout of the job's time limit
    t.deps.runJob = (() => {
      const outcomes: JobRunResult[] = [
        { runId: "r1", status: "error", text: "", error: "model_error: 500" },
        { runId: "r2", status: "aborted", text: "", timedOut: true },
        { runId: "r3", status: "max_steps", text: "(Stopped…)" },
      ];
      return async (input) => {
        t.runs.push(input);
        return outcomes.shift()!;
      };
    })();
    const firing = t.queries.claim({ scheduleId: job.id, dueAt: 1, trigger: "due", nextDueAt: job.nextDueAt })!;
    await executeFiring(t.deps, job, firing);
    expect(t.runs.map((r) => r.idempotencyKey)).toEqual([1, 2, 3].map((a) => `schedule:${firing.id}:${a}`));
    expect(t.sleeps).toEqual([1000, 2000]);
    expect(t.delivered).toHaveLength(1);
    expect(t.delivered[0]!.text).toBe('Scheduled job "digest" failed after 3 attempts: the run stopped after the maximum tool steps without an answer');
    expect(t.queries.getFiring(firing.id)).toMatchObject({ status: "failed", attempts: 3 });
  });

  it("leaves a firing to resume when the daemon's stop aborts its run, with a fresh attempt", async () => {
    const t = setup([{ status: "aborted" }]);
    t.state.shuttingDown = true;
    const job = t.service.create({ name: "x", prompt: "p", everyMs: 60_000, deliverTo: [chat] }, "api");
    const firing = t.queries.claim({ scheduleId: job.id, dueAt: 1, trigger: "due", nextDueAt: 2 })!;
    await executeFiring(t.deps, job, firing);
    expect(t.queries.getFiring(firing.id)).toMatchObject({ status: "running", attempts: 2 });
    expect(t.delivered).toHaveLength(0);
  });

  it("heartbeat: skips the model when the file has nothing to do, sends nothing for NOTHING_TO_REPORT, delivers otherwise", async () => {
    const t = setup([{ status: "ok", text: "  NOTHING_TO_REPORT \n" }, { status: "ok", text: "Your 3pm meeting moved to 4pm." }]);
    const cfg = Config.parse({
      model: "m", providers: { p: { baseUrl: "http://127.0.0.1:1" } }, models: { m: { provider: "p", model: "x" } }, agent: { timezone: "UTC" },
      heartbeat: { everyMs: 60_000, deliverTo: chat },
    });
    syncConfigJobs(t.service, cfg);
    const job = t.queries.get(HEARTBEAT_JOB_ID)!;
    const fire = async (dueAt: number) => {
      const firing = t.queries.claim({ scheduleId: job.id, dueAt, trigger: "due", nextDueAt: dueAt + 60_000 })!;
      await executeFiring(t.deps, job, firing);
      return t.queries.getFiring(firing.id)!;
    };
    writeFileSync(join(t.dir, "HEARTBEAT.md"), "# Heartbeat\n<!-- add checks below -->\n- [x] done already\n");
    expect((await fire(1)).status).toBe("skipped");
    expect(t.runs).toHaveLength(0);
    writeFileSync(join(t.dir, "HEARTBEAT.md"), "# Heartbeat\n- Check my calendar for changes\n");
    expect((await fire(2)).status).toBe("silent");
    expect(t.runs[0]!.text).toContain("Check my calendar for changes");
    expect(t.runs[0]!.text).toContain("NOTHING_TO_REPORT");
    expect(t.delivered).toHaveLength(0);
    expect(await fire(3)).toMatchObject({ status: "ok", deliveryIds: ["d1"] });
    expect(t.delivered[0]!.text).toBe("Your 3pm meeting moved to 4pm.");
  });

  it("ends a firing `failed` with the reason when something refuses it (not `running` forever)", async () => {
    const t = setup([{ status: "ok", text: "x".repeat(10) }]);
    t.deps.deliver = () => {
      throw new Error("text: longer than 100000 characters");
    };
    const job = t.service.create({ name: "x", prompt: "p", everyMs: 60_000, deliverTo: [chat] }, "api");
    const firing = t.queries.claim({ scheduleId: job.id, dueAt: 1, trigger: "due", nextDueAt: 2 })!;
    await executeFiring(t.deps, job, firing);
    expect(t.queries.getFiring(firing.id)).toMatchObject({ status: "failed", error: "text: longer than 100000 characters" });
  });

  it("gives a firing up, reported once, when the daemon died during it more than MAX_FIRING_RESUMES times", async () => {
    const t = setup([]);
    const job = t.service.create({ name: "crashy", prompt: "p", everyMs: 60_000, deliverTo: [chat] }, "api");
    const firing = t.queries.claim({ scheduleId: job.id, dueAt: 1, trigger: "due", nextDueAt: 2 })!;
    await executeFiring(t.deps, job, { ...firing, resumes: 4, attempts: 1 });
    expect(t.runs).toHaveLength(0);
    expect(t.delivered.map((d) => d.text)).toEqual(['Scheduled job "crashy" failed: the daemon stopped during this firing 4 times; it is not run again']);
    expect(t.queries.getFiring(firing.id)).toMatchObject({ status: "failed" });
  });
});
