import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { Store } from "../store/store.js";
import { ScheduleQueries } from "../store/schedule-queries.js";
import { ScheduleService } from "./jobs.js";

/** Test helper: a real store in a temp folder, the schedule queries and service, a settable clock. */
export function scheduleFixture(startMs = Date.parse("2026-11-27T10:00:00Z")) {
  const dir = mkdtempSync(join(tmpdir(), "agentd-sched-"));
  const store = new Store(join(dir, "agentd.db"));
  const queries = new ScheduleQueries(store);
  const clock = { now: startMs };
  const service = new ScheduleService({ queries, defaultTimeZone: () => "Europe/Berlin", now: () => clock.now });
  return {
    dir, store, queries, service, clock, logger: pino({ level: "silent" }),
    cleanup() {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
