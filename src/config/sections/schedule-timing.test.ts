import { describe, expect, it } from "vitest";
import { nextDue, parseCron, resolveAt } from "./schedule-timing.js";

const NOW = Date.parse("2026-11-27T10:00:00Z");

describe("resolveAt", () => {
  it("reads ISO 8601 with an offset as given and without one in the job's time zone", () => {
    expect(resolveAt("2026-11-28T09:00:00+01:00", "UTC", NOW)).toBe(Date.parse("2026-11-28T08:00:00Z"));
    expect(resolveAt("2026-11-28T09:00:00Z", "Europe/Berlin", NOW)).toBe(Date.parse("2026-11-28T09:00:00Z"));
    expect(resolveAt("2026-11-28T09:00", "Europe/Berlin", NOW)).toBe(Date.parse("2026-11-28T08:00:00Z"));
    expect(resolveAt("2026-07-01 09:00:00", "America/New_York", NOW)).toBe(Date.parse("2026-07-01T13:00:00Z"));
  });

  it("resolves `in N unit` from now", () => {
    expect(resolveAt("in 20 minutes", "UTC", NOW)).toBe(NOW + 20 * 60_000);
    expect(resolveAt("in 2 seconds", "UTC", NOW)).toBe(NOW + 2000);
    expect(resolveAt("IN 1 day", "UTC", NOW)).toBe(NOW + 86_400_000);
    expect(resolveAt("in 1.5h", "UTC", NOW)).toBe(NOW + 5_400_000);
  });

  it("refuses anything else with a typed error naming `at`", () => {
    for (const bad of ["tomorrow at 9", "in 3 fortnights", "2026-13-45T99:00", "yesterday"]) {
      expect(() => resolveAt(bad, "UTC", NOW)).toThrow(expect.objectContaining({ code: "bad_request", details: { path: "at" } }));
    }
  });
});

describe("parseCron / nextDue", () => {
  it("accepts 5 and 6 fields and names the bad part otherwise", () => {
    expect(() => parseCron("0 9 * * 1-5", "Europe/Berlin")).not.toThrow();
    expect(() => parseCron("*/10 * * * * *", "UTC")).not.toThrow();
    expect(() => parseCron("61 * * * *", "UTC")).toThrow(/cron: .*minute/);
    expect(() => parseCron("* * * * * * *", "UTC")).toThrow(/cron: /);
  });

  it("computes the next due time of cron expressions in their time zone, strictly after the reference", () => {
    expect(nextDue({ kind: "cron", cron: "0 9 * * *" }, "Europe/Berlin", NOW, 0)).toBe(Date.parse("2026-11-28T08:00:00Z"));
    expect(nextDue({ kind: "cron", cron: "* * * * * *" }, "UTC", NOW, 0)).toBe(NOW + 1000);
  });

  it("counts intervals from the anchor and one-shots only once", () => {
    const anchor = NOW - 2500;
    expect(nextDue({ kind: "every", everyMs: 1000 }, "UTC", NOW, anchor)).toBe(NOW + 500);
    expect(nextDue({ kind: "every", everyMs: 1000 }, "UTC", anchor - 1, anchor)).toBe(anchor + 1000);
    expect(nextDue({ kind: "at", atMs: NOW + 5 }, "UTC", NOW, 0)).toBe(NOW + 5);
    expect(nextDue({ kind: "at", atMs: NOW }, "UTC", NOW, 0)).toBeNull();
  });
});
