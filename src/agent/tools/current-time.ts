import { z } from "zod";
import { defineTool, type Tool } from "./tool.js";
import { isoInZone, zonedParts } from "../zoned-time.js";

/**
 * `current_time`: the current time in the agent's time zone (config `agent.timezone`, read per call), as
 * `2026-11-21T14:05:03+01:00 Saturday (Europe/Berlin)`: ISO 8601 with offset, weekday, zone. No arguments.
 */
export function currentTimeTool(opts: { timeZone: () => string; now?: () => Date }): Tool {
  return defineTool({
    name: "current_time",
    description: "Current date and time in the user's time zone.",
    input: z.strictObject({}),
    async run() {
      const tz = opts.timeZone();
      const now = opts.now?.() ?? new Date();
      return `${isoInZone(now, tz)} ${zonedParts(now, tz).weekday} (${tz})`;
    },
  });
}
