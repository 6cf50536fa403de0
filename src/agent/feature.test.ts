import { describe, it, expect, afterEach } from "vitest";
import { usageEvents } from "../store/schema.js";
import { agentFixture } from "./test-support.js";
import { pricingInForce, usageDaily, usageSummary } from "./feature.js";
import { PricingTable, UsageDaily, UsageSummary } from "../../protocol/usage.js";

const fixtures: Array<ReturnType<typeof agentFixture>> = [];
afterEach(() => {
  for (const f of fixtures.splice(0)) f.cleanup();
});
function fixture(edit?: (c: Record<string, any>) => void) {
  const f = agentFixture("http://127.0.0.1:9/v1", edit);
  fixtures.push(f);
  return f;
}
function add(f: ReturnType<typeof agentFixture>, at: string, model: string, costUsd: number | null) {
  f.store.db.insert(usageEvents).values({
    sessionId: "s", runId: "r", model, provider: "local", purpose: "chat", promptTokens: 1000, completionTokens: 100, cachedTokens: 0, costUsd,
    createdAt: Date.parse(at),
  }).run();
}

describe("usage reports", () => {
  it("this month's spend starts on the 1st at midnight in the agent's zone", () => {
    const f = fixture(); // Europe/Berlin
    add(f, "2026-10-31T22:59:00Z", "main", 9); // Oct 31, 23:59 in Berlin: last month
    add(f, "2026-10-31T23:01:00Z", "main", 0.5); // Nov 1, 00:01 in Berlin
    add(f, "2026-11-20T10:00:00Z", "backup", 1.25);
    add(f, "2026-11-20T10:00:00Z", "local", null);
    const r = usageSummary(f.store.db, f.config(), new Date("2026-11-21T12:00:00Z"));
    expect(UsageSummary.parse(r)).toEqual(r);
    expect(r).toMatchObject({ month: "2026-11", timeZone: "Europe/Berlin", from: "2026-10-31T23:00:00.000Z", currency: "USD" });
    expect(r.total).toEqual({ calls: 3, promptTokens: 3000, completionTokens: 300, cachedTokens: 0, costUsd: 1.75, unpricedCalls: 1 });
    expect(r.models.map((m) => [m.model, m.costUsd])).toEqual([["backup", 1.25], ["main", 0.5], ["local", 0]]);
  });

  it("day by day: the last N days, today last, empty days as zeros", () => {
    const f = fixture();
    add(f, "2026-11-19T08:00:00Z", "main", 0.25);
    add(f, "2026-11-21T08:00:00Z", "main", 0.5);
    add(f, "2026-11-21T09:00:00Z", "main", 0.25);
    const r = usageDaily(f.store.db, f.config(), 4, new Date("2026-11-21T12:00:00Z"));
    expect(UsageDaily.parse(r)).toEqual(r);
    expect(r.days.map((d) => [d.date, d.calls, d.costUsd])).toEqual([["2026-11-18", 0, 0], ["2026-11-19", 1, 0.25], ["2026-11-20", 0, 0], ["2026-11-21", 2, 0.75]]);
  });

  it("the pricing table shows config overrides and which entry prices each configured model", () => {
    const f = fixture((c) => {
      c.models.local = { provider: "local", model: "llama3" };
      c.pricing = { "gpt-4o": { inputPerMTok: 1, outputPerMTok: 2 } };
    });
    const r = pricingInForce(f.config());
    expect(PricingTable.parse(r)).toEqual(r);
    expect(r.prices.find((p) => p.model === "gpt-4o")).toEqual({ model: "gpt-4o", inputPerMTok: 1, outputPerMTok: 2, source: "config" });
    expect(r.models).toEqual([
      { name: "main", model: "gpt-4o-mini", pricedAs: "gpt-4o-mini" },
      { name: "backup", model: "gpt-4o", pricedAs: "gpt-4o" },
      { name: "local", model: "llama3", pricedAs: null },
    ]);
  });
});
