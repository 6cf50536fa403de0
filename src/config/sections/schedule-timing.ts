import { Cron } from "croner";
import { ValidationError } from "../../errors.js";

/** A job's schedule, resolved: one instant (epoch ms), a cron expression, or a fixed interval (ms) from an anchor. */
export type When =
  | { kind: "at"; atMs: number }
  | { kind: "cron"; cron: string }
  | { kind: "every"; everyMs: number };

const UNIT_MS: Record<string, number> = {
  s: 1000, sec: 1000, secs: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hr: 3_600_000, hrs: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
  w: 604_800_000, week: 604_800_000, weeks: 604_800_000,
};

/** The relative forms `at` accepts besides ISO 8601: `in <number> <unit>` (units: seconds, minutes, hours, days, weeks and their short forms). */
export const RELATIVE_AT = /^in\s+(\d+(?:\.\d+)?)\s*([a-z]+)$/i;

/** True when the runtime knows the IANA time zone `tz` (ECMA-402: an unknown zone throws a RangeError). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * Resolves a one-shot's `at` to epoch ms at `nowMs`: ISO 8601 with an offset or `Z` as given; without one, read in
 * `timeZone` (through croner's time zone handling); or `in N unit` relative to `nowMs`. Throws
 * {@link ValidationError} (`details.path` = `at`) for anything else.
 */
export function resolveAt(at: string, timeZone: string, nowMs: number): number {
  const text = at.trim();
  const rel = RELATIVE_AT.exec(text);
  if (rel) {
    const unit = UNIT_MS[rel[2]!.toLowerCase()];
    if (!unit) throw new ValidationError(`at: unknown unit "${rel[2]}" (seconds, minutes, hours, days or weeks)`, { path: "at" });
    return nowMs + Math.round(Number(rel[1]) * unit);
  }
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?)?(Z|[+-]\d{2}:?\d{2})?$/i.test(text)) {
    throw new ValidationError(`at: "${at}" is neither an ISO 8601 time (2026-11-28T09:00:00+01:00) nor "in N minutes|hours|days"`, { path: "at" });
  }
  let ms: number | undefined;
  try {
    ms = /(Z|[+-]\d{2}:?\d{2})$/i.test(text) ? Date.parse(text) : new Cron(text.replace(" ", "T"), { timezone: timeZone, paused: true }).nextRun(new Date(0))?.getTime();
  } catch {
    ms = undefined; // croner refuses impossible dates (month 13, hour 99)
  }
  if (ms === undefined || Number.isNaN(ms)) throw new ValidationError(`at: "${at}" is not a valid time`, { path: "at" });
  return ms;
}

/** Parses a 5- or 6-field cron expression in `timeZone`. Throws {@link ValidationError} naming the bad part (`details.path` = `cron`). */
export function parseCron(cron: string, timeZone: string): Cron {
  try {
    const c = new Cron(cron, { timezone: timeZone, paused: true, mode: "5-or-6-parts" });
    c.nextRun();
    return c;
  } catch (err) {
    throw new ValidationError(`cron: ${(err as Error).message.replace(/^CronPattern: /, "")}`, { path: "cron" });
  }
}

/**
 * The first due time of a job strictly after `afterMs` (epoch ms), or null when there is none (a one-shot whose
 * instant has passed, a cron expression that never matches again). An interval counts from `anchorMs` (one of the
 * job's due times, or when it was saved): `anchorMs + k × everyMs`, so it keeps its phase.
 */
export function nextDue(when: When, timeZone: string, afterMs: number, anchorMs: number): number | null {
  switch (when.kind) {
    case "at":
      return when.atMs > afterMs ? when.atMs : null;
    case "every": {
      const k = Math.floor((afterMs - anchorMs) / when.everyMs) + 1;
      return anchorMs + Math.max(1, k) * when.everyMs;
    }
    case "cron":
      return parseCron(when.cron, timeZone).nextRun(new Date(afterMs))?.getTime() ?? null;
  }
}

/** A stored job's `kind` and `spec` (text) back to a {@link When}. Heartbeats store their cron or interval as `cron:`/`every:`. */
export function whenOf(kind: string, spec: string): When {
  if (kind === "at") return { kind: "at", atMs: Number(spec) };
  if (kind === "every") return { kind: "every", everyMs: Number(spec) };
  if (kind === "cron") return { kind: "cron", cron: spec };
  if (spec.startsWith("every:")) return { kind: "every", everyMs: Number(spec.slice(6)) };
  return { kind: "cron", cron: spec.replace(/^cron:/, "") };
}
