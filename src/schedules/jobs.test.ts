import { afterEach, describe, expect, it } from "vitest";
import { scheduleFixture } from "./test-support.js";
import { syncConfigJobs } from "./config-sync.js";
import { Config } from "../config/schema.js";

const fixtures: Array<ReturnType<typeof scheduleFixture>> = [];
afterEach(() => {
  for (const f of fixtures.splice(0)) f.cleanup();
});
function setup() {
  const f = scheduleFixture();
  fixtures.push(f);
  return f;
}
const config = (extra: Record<string, unknown>) =>
  Config.parse({ model: "m", providers: { p: { baseUrl: "http://127.0.0.1:1" } }, models: { m: { provider: "p", model: "x" } }, agent: { timezone: "Europe/Berlin" }, ...extra });

describe("ScheduleService", () => {
  it("creates jobs with their next due time in the job's time zone and shows them on the wire", () => {
    const t = setup();
    const row = t.service.create({ name: "morning", prompt: "Summarise my day", cron: "0 8 * * *", deliverTo: [{ platform: "telegram", chatId: "42" }] }, "api");
    const w = t.service.toWire(row);
    expect(w).toMatchObject({ kind: "cron", cron: "0 8 * * *", timezone: "Europe/Berlin", nextRunAt: "2026-11-28T07:00:00.000Z", source: "api", catchUp: "once", session: "own", lastFiring: null });
    expect(t.service.toWire(t.service.create({ name: "r", prompt: "p", at: "2026-11-27T12:00:00" }, "agent"))).toMatchObject({ kind: "at", at: "2026-11-27T11:00:00.000Z" });
  });

  it("refuses a past instant, a bad cron expression or time zone with a typed error, storing nothing", () => {
    const t = setup();
    expect(() => t.service.create({ name: "x", prompt: "p", at: "2026-11-26T09:00:00Z" }, "api")).toThrow(/at: .* is in the past/);
    expect(() => t.service.create({ name: "x", prompt: "p", cron: "0 25 * * *" }, "api")).toThrow(expect.objectContaining({ code: "bad_request", details: { path: "cron" } }));
    expect(() => t.service.create({ name: "x", prompt: "p", everyMs: 5000, timezone: "Mars/Olympus" }, "api")).toThrow(/timezone: /);
    expect(t.service.list()).toHaveLength(0);
  });

  it("patches a job (rescheduling it on a new cron) and deletes it; config jobs refuse both", () => {
    const t = setup();
    const row = t.service.create({ name: "x", prompt: "p", cron: "0 8 * * *" }, "api");
    const changed = t.service.update(row.id, { cron: "30 9 * * *", name: "y" });
    expect(t.service.toWire(changed)).toMatchObject({ name: "y", cron: "30 9 * * *", nextRunAt: "2026-11-28T08:30:00.000Z" });
    expect(t.service.toWire(t.service.update(row.id, { enabled: false })).nextRunAt).toBeNull();
    t.service.delete(row.id);
    expect(() => t.service.require(row.id)).toThrow(expect.objectContaining({ code: "not_found" }));
    syncConfigJobs(t.service, config({ schedules: { digest: { cron: "0 7 * * *", prompt: "p" } } }));
    expect(() => t.service.update("cfg_digest", { name: "z" })).toThrow(expect.objectContaining({ code: "conflict" }));
    expect(() => t.service.delete("cfg_digest")).toThrow(expect.objectContaining({ code: "conflict" }));
  });

  it("keeps an unchanged config job (and its due time) across reloads, reschedules a changed one, drops a removed one", () => {
    const t = setup();
    syncConfigJobs(t.service, config({ schedules: { a: { everyMs: 60_000, prompt: "p" }, b: { at: "in 10 minutes", prompt: "p" } } }));
    const a = t.queries.get("cfg_a")!;
    const b = t.queries.get("cfg_b")!;
    expect(b.nextDueAt).toBe(t.clock.now + 600_000);
    t.clock.now += 30_000;
    syncConfigJobs(t.service, config({ schedules: { a: { everyMs: 60_000, prompt: "p" }, b: { at: "in 10 minutes", prompt: "p" } } }));
    expect(t.queries.get("cfg_a")!.nextDueAt).toBe(a.nextDueAt);
    expect(t.queries.get("cfg_b")!.nextDueAt).toBe(b.nextDueAt);
    syncConfigJobs(t.service, config({ schedules: { a: { everyMs: 120_000, prompt: "p" } } }));
    expect(t.queries.get("cfg_a")!.spec).toBe("120000");
    expect(t.queries.get("cfg_b")).toBeUndefined();
  });

  it("agentd.yaml: a bad cron expression or time zone of a job is a config error naming the key", () => {
    expect(() => config({ schedules: { x: { cron: "every day", prompt: "p" } } })).toThrow(/schedules.*x.*cron|cron/);
    expect(() => config({ schedules: { x: { cron: "0 8 * * *", everyMs: 1000, prompt: "p" } } })).toThrow(/exactly one of at, cron, everyMs/);
    expect(() => config({ heartbeat: { cron: "0 8 * * *", timezone: "Nowhere/City" } })).toThrow(/IANA/);
  });
});
