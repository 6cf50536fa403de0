import type { z } from "zod";
import type { Config, ModelPrice } from "../config/schema.js";
import type { CallUsage } from "./model-call.js";
import type { ResolvedModel } from "./provider.js";

/** A price in USD per million tokens: input, output and (when the provider discounts it) cached input. */
export type Price = z.infer<typeof ModelPrice>;

const p = (inputPerMTok: number, outputPerMTok: number, cachedInputPerMTok?: number): Price =>
  cachedInputPerMTok === undefined ? { inputPerMTok, outputPerMTok } : { inputPerMTok, outputPerMTok, cachedInputPerMTok };

/**
 * Built-in prices in USD per million tokens (standard tier, no batch discount), keyed by the provider's model
 * id. Sources, read 2026: OpenAI https://openai.com/api/pricing (cached input per model);
 * Anthropic https://www.anthropic.com/pricing#api (cached = "cache read"; OpenRouter ids `anthropic/…`,
 * https://openrouter.ai/models passes provider prices through); Google https://ai.google.dev/gemini-api/docs/pricing
 * (prompts up to 200k tokens). Config `pricing` overrides or adds entries; prices change, so check the page.
 * OpenRouter ids of OpenAI models (`openai/gpt-4o`) and dated snapshots (`gpt-4o-2024-08-06`) resolve to these.
 */
export const BUILTIN_PRICES: Readonly<Record<string, Price>> = {
  // OpenAI
  "gpt-5": p(1.25, 10, 0.125),
  "gpt-5-mini": p(0.25, 2, 0.025),
  "gpt-5-nano": p(0.05, 0.4, 0.005),
  "gpt-4.1": p(2, 8, 0.5),
  "gpt-4.1-mini": p(0.4, 1.6, 0.1),
  "gpt-4.1-nano": p(0.1, 0.4, 0.025),
  "gpt-4o": p(2.5, 10, 1.25),
  "gpt-4o-mini": p(0.15, 0.6, 0.075),
  "gpt-4-turbo": p(10, 30),
  "gpt-3.5-turbo": p(0.5, 1.5),
  o1: p(15, 60, 7.5),
  "o1-mini": p(1.1, 4.4, 0.55),
  o3: p(2, 8, 0.5),
  "o3-mini": p(1.1, 4.4, 0.55),
  "o4-mini": p(1.1, 4.4, 0.275),
  // Anthropic, by OpenRouter id
  "anthropic/claude-opus-4.5": p(5, 25, 0.5),
  "anthropic/claude-opus-4.1": p(15, 75, 1.5),
  "anthropic/claude-opus-4": p(15, 75, 1.5),
  "anthropic/claude-sonnet-4.5": p(3, 15, 0.3),
  "anthropic/claude-sonnet-4": p(3, 15, 0.3),
  "anthropic/claude-3.7-sonnet": p(3, 15, 0.3),
  "anthropic/claude-3.5-sonnet": p(3, 15, 0.3),
  "anthropic/claude-haiku-4.5": p(1, 5, 0.1),
  "anthropic/claude-3.5-haiku": p(0.8, 4, 0.08),
  // Google, by OpenRouter id
  "google/gemini-2.5-pro": p(1.25, 10),
  "google/gemini-2.5-flash": p(0.3, 2.5),
  "google/gemini-2.0-flash-001": p(0.1, 0.4),
};

/** Where a price came from: the built-in table or config `pricing`. */
export type PriceSource = "builtin" | "config";

/**
 * Finds the price of a provider model id: config `overrides` first, then the built-in table, each tried with
 * the id as given, without an `openai/` prefix, and without a date suffix (`-2024-08-06`, `-20241022`).
 * Returns undefined for an unknown model.
 */
export function findPrice(modelId: string, overrides: Readonly<Record<string, Price>> = {}): { price: Price; source: PriceSource; key: string } | undefined {
  const ids = [modelId];
  const bare = modelId.replace(/^openai\//, "");
  for (const id of [bare, bare.replace(/-(\d{4}-\d{2}-\d{2}|\d{8})$/, "")]) if (!ids.includes(id)) ids.push(id);
  for (const id of ids) {
    const o = overrides[id];
    if (o) return { price: o, source: "config", key: id };
  }
  for (const id of ids) {
    const b = BUILTIN_PRICES[id];
    if (b) return { price: b, source: "builtin", key: id };
  }
  return undefined;
}

/**
 * Cost in USD of one call: uncached prompt tokens at the input price, cached tokens (a part of the prompt
 * tokens, as OpenAI reports `prompt_tokens_details.cached_tokens`) at the cached price (the input price when
 * none is set), completion tokens at the output price.
 */
export function costOf(price: Price, usage: CallUsage): number {
  const cached = Math.min(usage.cachedTokens, usage.promptTokens);
  const usd = ((usage.promptTokens - cached) * price.inputPerMTok + cached * (price.cachedInputPerMTok ?? price.inputPerMTok)
    + usage.completionTokens * price.outputPerMTok) / 1_000_000;
  return Math.round(usd * 1e10) / 1e10;
}

/**
 * The cost in USD of one call of `model` (by its provider model id, then its configured name, see
 * {@link findPrice}), or null when the model has no price. `overrides` is config `pricing`.
 */
export function price(model: ResolvedModel, usage: CallUsage, overrides: Readonly<Record<string, Price>> = {}): number | null {
  const found = findPrice(model.config.model, overrides) ?? (overrides[model.name] ? { price: overrides[model.name]! } : undefined);
  return found ? costOf(found.price, usage) : null;
}

/** The `price` run hook: {@link price} with config `pricing` read per call (live edits apply at once). */
export function createPricer(config: () => Config): (model: ResolvedModel, usage: CallUsage) => number | null {
  return (model, usage) => price(model, usage, config().pricing);
}

/** One row of the pricing table in force. */
export interface PricingRow extends Price {
  model: string;
  source: PriceSource;
}

/** The pricing table in force: every built-in entry, with config `pricing` entries replacing or adding rows. */
export function pricingTable(overrides: Readonly<Record<string, Price>> = {}): PricingRow[] {
  const rows = new Map<string, PricingRow>();
  for (const [model, pr] of Object.entries(BUILTIN_PRICES)) rows.set(model, { model, ...pr, source: "builtin" });
  for (const [model, pr] of Object.entries(overrides)) rows.set(model, { model, ...pr, source: "config" });
  return [...rows.values()];
}
