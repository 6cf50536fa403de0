import { and, eq, gte, inArray, lt, sql } from "drizzle-orm";
import type { Db } from "./db.js";
import { schedules, sessions, usageEvents } from "./schema.js";

/** Token and cost totals. `costUsd` sums the priced calls; `unpricedCalls` counts calls of models without a price. */
export interface UsageTotals {
  calls: number;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  costUsd: number;
  unpricedCalls: number;
}

/** Usage of one model (the configured model name that answered) and its provider. */
export interface ModelUsage extends UsageTotals {
  model: string;
  provider: string;
}

/** Usage of one calendar day, `date` as `YYYY-MM-DD` in the caller's time zone. */
export interface DailyUsage extends UsageTotals {
  date: string;
}

/** A time range in epoch milliseconds: `fromMs` inclusive, `toMs` exclusive (default: no upper bound). */
export interface TimeRange {
  fromMs: number;
  toMs?: number;
}

const totals = {
  calls: sql<number>`count(*)`,
  promptTokens: sql<number>`coalesce(sum(${usageEvents.promptTokens}), 0)`,
  completionTokens: sql<number>`coalesce(sum(${usageEvents.completionTokens}), 0)`,
  cachedTokens: sql<number>`coalesce(sum(${usageEvents.cachedTokens}), 0)`,
  costUsd: sql<number>`coalesce(sum(${usageEvents.costUsd}), 0)`,
  unpricedCalls: sql<number>`coalesce(sum(case when ${usageEvents.costUsd} is null then 1 else 0 end), 0)`,
};

/** Rounds a USD sum to 10 decimals (sums of floats pick up noise like 0.000044399999999999995). */
const usd = (x: number) => Math.round(x * 1e10) / 1e10;

function inRange(r: TimeRange) {
  return r.toMs === undefined ? gte(usageEvents.createdAt, r.fromMs) : and(gte(usageEvents.createdAt, r.fromMs), lt(usageEvents.createdAt, r.toMs));
}

/** Every model call in the range (chat, titles, compaction) summed per model and provider, highest cost first. */
export function usageByModel(db: Db, range: TimeRange): ModelUsage[] {
  return db
    .select({ model: usageEvents.model, provider: usageEvents.provider, ...totals })
    .from(usageEvents)
    .where(inRange(range))
    .groupBy(usageEvents.model, usageEvents.provider)
    .orderBy(sql`coalesce(sum(${usageEvents.costUsd}), 0) desc`, usageEvents.model)
    .all()
    .map((r) => ({ ...r, costUsd: usd(r.costUsd) }));
}

/** Usage of one session, with its title (null when it has none or was deleted). */
export interface SessionUsage extends UsageTotals {
  sessionId: string;
  title: string | null;
}

/** Every model call in the range summed per session, the `limit` sessions with the most tokens first. */
export function usageBySession(db: Db, range: TimeRange, limit: number): SessionUsage[] {
  return db
    .select({ sessionId: usageEvents.sessionId, title: sessions.title, ...totals })
    .from(usageEvents)
    .leftJoin(sessions, eq(sessions.id, usageEvents.sessionId))
    .where(inRange(range))
    .groupBy(usageEvents.sessionId)
    .orderBy(sql`coalesce(sum(${usageEvents.promptTokens} + ${usageEvents.completionTokens}), 0) desc`, usageEvents.sessionId)
    .limit(limit)
    .all()
    .map((r) => ({ ...r, title: r.title ?? null, costUsd: usd(r.costUsd) }));
}

/** Adds the counts of `t` into `into` (calls, tokens, cost, unpriced calls). Round the cost with care afterwards. */
export function addUsage(into: Omit<DailyUsage, "date">, t: Omit<DailyUsage, "date">): void {
  into.calls += t.calls;
  into.promptTokens += t.promptTokens;
  into.completionTokens += t.completionTokens;
  into.cachedTokens += t.cachedTokens;
  into.costUsd += t.costUsd;
  into.unpricedCalls += t.unpricedCalls;
}

/** Length of the buckets {@link usageByDay} sums before assigning them to days: every UTC offset in use is a multiple. */
const BUCKET_MS = 15 * 60_000;

/**
 * Usage per calendar day over the range, oldest first, one entry per day that has calls. `dayOf` names the day
 * of an instant (e.g. in the agent's time zone); calls are summed in SQL per 15-minute bucket first, so the
 * day split is exact for every time zone (offsets are multiples of 15 minutes) and DST changes. `only: "heartbeat"`
 * counts just the calls in the heartbeat's session (issue 11).
 */
export function usageByDay(db: Db, range: TimeRange, dayOf: (ms: number) => string, only?: "heartbeat"): DailyUsage[] {
  const bucket = sql<number>`${usageEvents.createdAt} / ${BUCKET_MS}`;
  const where = only === "heartbeat"
    ? and(inRange(range), inArray(usageEvents.sessionId, db.select({ id: sql<string>`${schedules.sessionId}` }).from(schedules).where(eq(schedules.kind, "heartbeat"))))
    : inRange(range);
  const rows = db.select({ bucket, ...totals }).from(usageEvents).where(where).groupBy(bucket).all();
  const days = new Map<string, DailyUsage>();
  for (const { bucket: b, ...t } of rows) {
    const date = dayOf(b * BUCKET_MS);
    const d = days.get(date);
    if (!d) {
      days.set(date, { date, ...t });
      continue;
    }
    addUsage(d, t);
  }
  for (const d of days.values()) d.costUsd = usd(d.costUsd);
  return [...days.values()].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}
