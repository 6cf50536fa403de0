import type { z } from "zod";
import type { FeatureFactory } from "../feature.js";
import type { Config } from "../config/schema.js";
import type { Db } from "../store/db.js";
import { PricingTable, UsageDaily, UsageSummary, USAGE_TOP_SESSIONS, type UsageTotals } from "../../protocol/usage.js";
import { addUsage, usageByDay, usageByModel, usageBySession } from "../store/usage-queries.js";
import { builtinTools } from "./tools/builtin.js";
import { mediaTools } from "./media-tools.js";
import { createPricer, findPrice, pricingTable } from "./pricing.js";
import { createCompactor } from "./compaction.js";
import { createTitler } from "./title.js";
import { dateKey, zonedMidnightMs, zonedParts } from "./zoned-time.js";
import { join } from "node:path";
import { appendMemory, memoryLine } from "./tools/memory.js";

const zero = (): UsageTotals => ({ calls: 0, promptTokens: 0, completionTokens: 0, cachedTokens: 0, costUsd: 0, unpricedCalls: 0 });

/**
 * This month's usage (since the 1st, 00:00 in the agent's time zone), by model, the heartbeat's share per day, and
 * the {@link USAGE_TOP_SESSIONS} sessions with the most tokens.
 */
export function usageSummary(db: Db, cfg: Config, now = new Date()): z.infer<typeof UsageSummary> {
  const tz = cfg.agent.timezone;
  const p = zonedParts(now, tz);
  const fromMs = zonedMidnightMs(p.year, p.month, 1, tz);
  const models = usageByModel(db, { fromMs });
  const total = zero();
  for (const m of models) addUsage(total, m);
  total.costUsd = Math.round(total.costUsd * 1e10) / 1e10;
  const hbDays = usageByDay(db, { fromMs }, (ms) => dateKey(zonedParts(new Date(ms), tz)), "heartbeat");
  const hbTotal = zero();
  for (const d of hbDays) addUsage(hbTotal, d);
  hbTotal.costUsd = Math.round(hbTotal.costUsd * 1e10) / 1e10;
  const heartbeat = { total: hbTotal, days: hbDays };
  const sessions = usageBySession(db, { fromMs }, USAGE_TOP_SESSIONS);
  return { month: dateKey(p).slice(0, 7), timeZone: tz, from: new Date(fromMs).toISOString(), currency: "USD", total, models, heartbeat, sessions };
}

/** Usage per day over the last `days` days (today last, days without calls as zeros), in the agent's time zone. */
export function usageDaily(db: Db, cfg: Config, days: number, now = new Date()): z.infer<typeof UsageDaily> {
  const tz = cfg.agent.timezone;
  const p = zonedParts(now, tz);
  const fromMs = zonedMidnightMs(p.year, p.month, p.day - (days - 1), tz);
  const byDate = new Map(usageByDay(db, { fromMs }, (ms) => dateKey(zonedParts(new Date(ms), tz))).map((d) => [d.date, d]));
  const out: z.infer<typeof UsageDaily>["days"] = [];
  for (let i = 0; i < days; i++) {
    const d = new Date(Date.UTC(p.year, p.month - 1, p.day - (days - 1) + i));
    const date = dateKey({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() });
    out.push(byDate.get(date) ?? { date, ...zero() });
  }
  return { timeZone: tz, currency: "USD", days: out };
}

/** The pricing table in force, and which entry prices each configured model. */
export function pricingInForce(cfg: Config): z.infer<typeof PricingTable> {
  return {
    currency: "USD", unit: "per million tokens", prices: pricingTable(cfg.pricing),
    models: Object.entries(cfg.models).map(([name, m]) => ({
      name, model: m.model, pricedAs: findPrice(m.model, cfg.pricing)?.key ?? (cfg.pricing[name] ? name : null),
    })),
  };
}

/**
 * The agent feature (issue 3): the built-in tools (`current_time`, `memory_read`, `memory_append`; issue 12's
 * `attachment_read`, and `describe_image` when `uploads.visionModel` is set), the run
 * hooks for pricing (built-in table + config `pricing`), compaction and session titles, and the handlers of
 * `usage.summary`, `usage.daily`, `usage.pricing` and `memory.append` (REST: `/api/usage…`, `/api/memory`).
 */
export const agentFeature: FeatureFactory = (ctx) => {
  const config = () => ctx.config.get();
  const logger = ctx.logger.child({ component: "agent" });
  const tools = builtinTools({ dir: ctx.dir, timeZone: () => config().agent.timezone });
  const price = createPricer(config);
  const media = mediaTools({ dir: ctx.dir, pool: ctx.pool, config, store: ctx.store, price });
  const compact = createCompactor({
    store: ctx.store, pool: ctx.pool, config, dir: ctx.dir, logger, price,
    runningRunId: (sessionId) => ctx.runner.runningRun(sessionId)?.id,
  });
  const titler = createTitler({ store: ctx.store, pool: ctx.pool, config, logger, price });
  const remember = async (text: string) => {
    const line = memoryLine(text, new Date(), config().agent.timezone);
    await appendMemory(join(ctx.dir, "MEMORY.md"), line);
    return { line };
  };
  return {
    name: "agent",
    runHooks: { price, compact, onRunEnd: titler.onEnd },
    tools: () => [...tools, ...media()],
    handlers: (registry) => {
      registry
        .on("usage.summary", () => usageSummary(ctx.store.db, config()))
        .on("usage.daily", (p) => usageDaily(ctx.store.db, config(), p.days))
        .on("usage.pricing", () => pricingInForce(config()))
        .on("memory.append", (p) => remember(p.text));
    },
    stop: async () => {
      titler.stop();
      await titler.idle();
    },
  };
};
