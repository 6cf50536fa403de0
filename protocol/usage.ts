import { z } from "zod";
import { defineMethod } from "./method-spec.js";

/**
 * Token and cost totals (issue 3). `costUsd` sums the calls of priced models (USD); `unpricedCalls` counts calls
 * of models without a price (add one under `pricing` in agentd.yaml), so a total is never silently short.
 */
export const UsageTotals = z.strictObject({
  calls: z.number().int().min(0),
  promptTokens: z.number().int().min(0),
  completionTokens: z.number().int().min(0),
  cachedTokens: z.number().int().min(0),
  costUsd: z.number().min(0),
  unpricedCalls: z.number().int().min(0),
});
/** See {@link UsageTotals}. */
export type UsageTotals = z.infer<typeof UsageTotals>;

/** Usage of one model (the configured model name that answered, maybe a fallback) and its provider. */
export const ModelUsage = UsageTotals.extend({ model: z.string(), provider: z.string() });

/** Usage of one session (`title` null when it has none, or was deleted). */
export const SessionUsage = UsageTotals.extend({ sessionId: z.string(), title: z.string().nullable() });
/** How many sessions `usage.summary` lists (the ones with the most tokens this month). */
export const USAGE_TOP_SESSIONS = 20;

/** One day (`YYYY-MM-DD` in the agent's time zone) of {@link UsageDaily}. */
export const DailyUsage = UsageTotals.extend({ date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/) });

/**
 * This month's spend (`GET /api/usage`, `usage.summary`): every model call since the first of the month in the
 * agent's time zone (`from`, ISO 8601), chats, titles and compaction alike, by model, highest cost first.
 */
export const UsageSummary = z.strictObject({
  month: z.string().regex(/^\d{4}-\d{2}$/),
  timeZone: z.string(),
  from: z.string(),
  currency: z.literal("USD"),
  total: UsageTotals,
  models: z.array(ModelUsage),
  /**
   * What the heartbeat (issue 11, `heartbeat:` in agentd.yaml) cost this month: every model call in its session,
   * per day (days with calls, oldest first) and in total (also part of `total`).
   */
  heartbeat: z.strictObject({ total: UsageTotals, days: z.array(DailyUsage) }),
  /** The sessions with the most tokens this month (at most {@link USAGE_TOP_SESSIONS}), most first, with their titles. */
  sessions: z.array(SessionUsage),
});
/** See {@link UsageSummary}. */
export type UsageSummary = z.infer<typeof UsageSummary>;


/** Day-by-day totals (`GET /api/usage/daily?days=30`, `usage.daily`): the last `days` days, today last, no gaps. */
export const UsageDaily = z.strictObject({
  timeZone: z.string(),
  currency: z.literal("USD"),
  days: z.array(DailyUsage),
});
/** See {@link UsageDaily}. */
export type UsageDaily = z.infer<typeof UsageDaily>;

/** One price: USD per million tokens of input, output and cached input (absent = input price). */
export const PricingRow = z.strictObject({
  model: z.string(),
  inputPerMTok: z.number().min(0),
  outputPerMTok: z.number().min(0),
  cachedInputPerMTok: z.number().min(0).optional(),
  source: z.enum(["builtin", "config"]),
});

/**
 * The pricing table in force (`GET /api/usage/pricing`, `usage.pricing`): built-in prices with config `pricing`
 * overrides (keys are provider model ids), and for each configured model the table key that prices it (null:
 * unpriced, its calls are counted in `unpricedCalls`).
 */
export const PricingTable = z.strictObject({
  currency: z.literal("USD"),
  unit: z.literal("per million tokens"),
  prices: z.array(PricingRow),
  models: z.array(z.strictObject({ name: z.string(), model: z.string(), pricedAs: z.string().nullable() })),
});
/** See {@link PricingTable}. */
export type PricingTable = z.infer<typeof PricingTable>;

/** Params of `usage.daily` and the query of `GET /api/usage/daily`: how many days, 1..366 (default 30). */
export const UsageDailyParams = z.strictObject({ days: z.coerce.number().int().min(1).max(366).default(30) });

/** Usage methods (issue 3), the WebSocket twins of the `/api/usage` routes. */
export const usageMethods = {
  "usage.summary": defineMethod({ scope: "read", params: z.strictObject({}), result: UsageSummary, description: "This month's token usage and cost, by model.",
    rest: { method: "get", path: "/api/usage", tag: "usage", summary: "This month's token usage and cost, by model." },
  }),
  "usage.daily": defineMethod({ scope: "read", params: UsageDailyParams, result: UsageDaily, description: "Token usage and cost per day over the last N days.",
    rest: { method: "get", path: "/api/usage/daily", tag: "usage", summary: "Token usage and cost per day (`?days=30`)." },
  }),
  "usage.pricing": defineMethod({ scope: "read", params: z.strictObject({}), result: PricingTable, description: "The pricing table in force (USD per million tokens).",
    rest: { method: "get", path: "/api/usage/pricing", tag: "usage", summary: "The pricing table in force (USD per million tokens)." },
  }),
};
