import { describe, it, expect } from "vitest";
import { BUILTIN_PRICES, costOf, createPricer, findPrice, price, pricingTable } from "./pricing.js";
import type { ResolvedModel } from "./provider.js";
import { Config } from "../config/schema.js";

const model = (id: string, name = "main") => ({ name, config: { model: id } }) as unknown as ResolvedModel;
const usage = (promptTokens: number, completionTokens: number, cachedTokens = 0) => ({ promptTokens, completionTokens, cachedTokens });

describe("pricing", () => {
  it("prices a call per million tokens, cached input at the cached rate", () => {
    // gpt-4o-mini: $0.15 in, $0.075 cached, $0.60 out
    expect(price(model("gpt-4o-mini"), usage(1_000_000, 1_000_000))).toBeCloseTo(0.75, 10);
    expect(price(model("gpt-4o-mini"), usage(1_000_000, 0, 400_000))).toBeCloseTo(0.6 * 0.15 + 0.4 * 0.075, 10);
    expect(price(model("gpt-4o"), usage(1000, 500))).toBeCloseTo((1000 * 2.5 + 500 * 10) / 1e6, 12);
  });

  it("without a cached price, cached tokens cost the input price", () => {
    expect(costOf({ inputPerMTok: 2, outputPerMTok: 4 }, usage(1_000_000, 0, 1_000_000))).toBe(2);
  });

  it("finds OpenRouter ids and dated snapshots of known models", () => {
    expect(findPrice("openai/gpt-4o-mini")?.key).toBe("gpt-4o-mini");
    expect(findPrice("gpt-4o-2024-08-06")?.key).toBe("gpt-4o");
    expect(findPrice("anthropic/claude-sonnet-4")?.price).toEqual({ inputPerMTok: 3, outputPerMTok: 15, cachedInputPerMTok: 0.3 });
  });

  it("answers null for an unknown model", () => {
    expect(price(model("my-local-llama"), usage(10, 10))).toBeNull();
  });

  it("config overrides win over the built-in table and add models", () => {
    const overrides = { "gpt-4o-mini": { inputPerMTok: 1, outputPerMTok: 2 }, "my-local-llama": { inputPerMTok: 0, outputPerMTok: 0 } };
    expect(price(model("gpt-4o-mini"), usage(1_000_000, 1_000_000), overrides)).toBe(3);
    expect(price(model("my-local-llama"), usage(5, 5), overrides)).toBe(0);
    const table = pricingTable(overrides);
    expect(table.find((r) => r.model === "gpt-4o-mini")).toEqual({ model: "gpt-4o-mini", inputPerMTok: 1, outputPerMTok: 2, source: "config" });
    expect(table.find((r) => r.model === "gpt-4o")?.source).toBe("builtin");
    expect(table).toHaveLength(Object.keys(BUILTIN_PRICES).length + 1);
  });

  it("the pricer reads config `pricing` on every call (live edits)", () => {
    let cfg = Config.parse({ model: "m", providers: { p: { baseUrl: "http://127.0.0.1:1/v1" } }, models: { m: { provider: "p", model: "x-model" } } });
    const pricer = createPricer(() => cfg);
    expect(pricer(model("x-model", "m"), usage(1_000_000, 0))).toBeNull();
    cfg = { ...cfg, pricing: { "x-model": { inputPerMTok: 7, outputPerMTok: 9 } } };
    expect(pricer(model("x-model", "m"), usage(1_000_000, 0))).toBe(7);
  });

  it("every built-in price is sane: output >= input >= cached", () => {
    for (const [id, p] of Object.entries(BUILTIN_PRICES)) {
      expect(p.outputPerMTok, id).toBeGreaterThanOrEqual(p.inputPerMTok);
      if (p.cachedInputPerMTok !== undefined) expect(p.cachedInputPerMTok, id).toBeLessThan(p.inputPerMTok);
    }
  });
});
