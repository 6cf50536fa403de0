import { describe, it, expect } from "vitest";
import { pino } from "pino";
import { currentTimeTool } from "./current-time.js";

const ctx = { signal: new AbortController().signal, sessionId: "s", runId: "r", logger: pino({ level: "silent" }) };

describe("current_time", () => {
  it("answers the time in the agent's zone: ISO with offset, weekday and zone", async () => {
    let tz = "Europe/Berlin";
    const tool = currentTimeTool({ timeZone: () => tz, now: () => new Date("2026-11-21T13:05:03Z") });
    expect(await tool.run({}, ctx)).toBe("2026-11-21T14:05:03+01:00 Saturday (Europe/Berlin)");
    tz = "America/New_York"; // config edits apply on the next call
    expect(await tool.run({}, ctx)).toBe("2026-11-21T08:05:03-05:00 Saturday (America/New_York)");
  });

  it("has a short description and an empty strict input schema", () => {
    const tool = currentTimeTool({ timeZone: () => "UTC" });
    expect(tool.name).toBe("current_time");
    expect(tool.description.length).toBeLessThan(80);
    expect(tool.inputSchema).toEqual({ type: "object", properties: {}, additionalProperties: false });
  });
});
