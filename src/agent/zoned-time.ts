/** Wall-clock parts of an instant in an IANA time zone. `offsetMinutes` is east of UTC (Berlin in winter: 60). */
export interface ZonedParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: string;
  offsetMinutes: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
      hourCycle: "h23", weekday: "long", timeZoneName: "longOffset",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/**
 * The wall-clock parts of `date` in `timeZone` (ECMA-402 `Intl.DateTimeFormat`, offset from `longOffset`,
 * e.g. `GMT+05:30`). Throws a RangeError for an unknown time zone.
 */
export function zonedParts(date: Date, timeZone: string): ZonedParts {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(date)) parts[p.type] = p.value;
  const m = /GMT([+-])(\d{2}):?(\d{2})?/.exec(parts.timeZoneName ?? "");
  const offsetMinutes = m ? (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0)) : 0;
  return {
    year: Number(parts.year), month: Number(parts.month), day: Number(parts.day),
    hour: Number(parts.hour), minute: Number(parts.minute), second: Number(parts.second),
    weekday: parts.weekday ?? "", offsetMinutes,
  };
}

const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, "0");

/** `YYYY-MM-DD` of the zoned parts. */
export function dateKey(p: Pick<ZonedParts, "year" | "month" | "day">): string {
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}`;
}

/** ISO 8601 with the zone's offset (RFC 3339), e.g. `2026-11-21T14:05:03+01:00`. */
export function isoInZone(date: Date, timeZone: string): string {
  const p = zonedParts(date, timeZone);
  const sign = p.offsetMinutes < 0 ? "-" : "+";
  const off = `${sign}${pad(Math.trunc(p.offsetMinutes / 60))}:${pad(p.offsetMinutes % 60)}`;
  return `${dateKey(p)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}${off}`;
}

/**
 * Epoch milliseconds of 00:00 on `year-month-day` (month 1..12; day may overflow, e.g. 0 = last day of the
 * previous month) in `timeZone`. Where midnight does not exist (a DST jump), the first instant of the day.
 */
export function zonedMidnightMs(year: number, month: number, day: number, timeZone: string): number {
  const guess = Date.UTC(year, month - 1, day);
  const g = new Date(guess);
  const target = dateKey({ year: g.getUTCFullYear(), month: g.getUTCMonth() + 1, day: g.getUTCDate() });
  const t = guess - zonedParts(g, timeZone).offsetMinutes * 60_000;
  const again = guess - zonedParts(new Date(t), timeZone).offsetMinutes * 60_000;
  const sameDay = [t, again].filter((x) => dateKey(zonedParts(new Date(x), timeZone)) === target);
  return sameDay.length > 0 ? Math.min(...sameDay) : Math.max(t, again);
}
