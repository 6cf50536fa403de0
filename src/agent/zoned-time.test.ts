import { describe, it, expect } from "vitest";
import { dateKey, isoInZone, zonedMidnightMs, zonedParts } from "./zoned-time.js";

describe("zoned time", () => {
  it("formats an instant as ISO 8601 with the zone's offset, winter and summer", () => {
    expect(isoInZone(new Date("2026-11-21T13:05:03Z"), "Europe/Berlin")).toBe("2026-11-21T14:05:03+01:00");
    expect(isoInZone(new Date("2026-07-01T12:00:00Z"), "Europe/Berlin")).toBe("2026-07-01T14:00:00+02:00");
    expect(isoInZone(new Date("2026-07-01T12:00:00Z"), "UTC")).toBe("2026-07-01T12:00:00+00:00");
    expect(isoInZone(new Date("2026-07-01T12:00:00Z"), "America/St_Johns")).toBe("2026-07-01T09:30:00-02:30");
    expect(isoInZone(new Date("2026-07-01T12:00:00Z"), "Asia/Kathmandu")).toBe("2026-07-01T17:45:00+05:45");
  });

  it("gives the weekday and date parts in the zone (a different day than UTC near midnight)", () => {
    const p = zonedParts(new Date("2026-11-21T23:30:00Z"), "Asia/Tokyo");
    expect(dateKey(p)).toBe("2026-11-22");
    expect(p.weekday).toBe("Sunday");
  });

  it("finds local midnight, also across DST changes and month overflow", () => {
    expect(new Date(zonedMidnightMs(2026, 11, 1, "Europe/Berlin")).toISOString()).toBe("2026-10-31T23:00:00.000Z");
    expect(new Date(zonedMidnightMs(2026, 3, 29, "Europe/Berlin")).toISOString()).toBe("2026-03-28T23:00:00.000Z");
    expect(new Date(zonedMidnightMs(2026, 3, 30, "Europe/Berlin")).toISOString()).toBe("2026-03-29T22:00:00.000Z");
    expect(new Date(zonedMidnightMs(2026, 3, 0, "UTC")).toISOString()).toBe("2026-02-28T00:00:00.000Z");
  });
});
