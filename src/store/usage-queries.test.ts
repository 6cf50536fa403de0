import { describe, it, expect, afterEach } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Store } from "./store.js";
import { usageEvents } from "./schema.js";
import { usageByDay, usageByModel, usageBySession } from "./usage-queries.js";

const open: Array<{ store: Store; dir: string }> = [];
function tempStore(): Store {
  const dir = mkdtempSync(join(tmpdir(), "agentd-usage-"));
  const store = new Store(join(dir, "agentd.db"));
  open.push({ store, dir });
  return store;
}
afterEach(() => {
  for (const { store, dir } of open.splice(0)) {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

function add(store: Store, at: string, model: string, costUsd: number | null, tokens = 100, purpose: "chat" | "title" = "chat", sessionId = "s") {
  store.db.insert(usageEvents).values({
    sessionId, runId: "r", model, provider: "p", purpose, promptTokens: tokens, completionTokens: tokens / 2, cachedTokens: 10, costUsd,
    createdAt: Date.parse(at),
  }).run();
}

describe("usage queries", () => {
  it("sums the calls of a range by model, highest cost first, counting unpriced calls", () => {
    const store = tempStore();
    add(store, "2026-10-31T23:59:59Z", "main", 5); // before the range
    add(store, "2026-11-01T00:00:00Z", "main", 0.25);
    add(store, "2026-11-02T10:00:00Z", "main", 0.5, 100, "title");
    add(store, "2026-11-03T10:00:00Z", "backup", 1);
    add(store, "2026-11-04T10:00:00Z", "local", null);
    const rows = usageByModel(store.db, { fromMs: Date.parse("2026-11-01T00:00:00Z") });
    expect(rows).toEqual([
      { model: "backup", provider: "p", calls: 1, promptTokens: 100, completionTokens: 50, cachedTokens: 10, costUsd: 1, unpricedCalls: 0 },
      { model: "main", provider: "p", calls: 2, promptTokens: 200, completionTokens: 100, cachedTokens: 20, costUsd: 0.75, unpricedCalls: 0 },
      { model: "local", provider: "p", calls: 1, promptTokens: 100, completionTokens: 50, cachedTokens: 10, costUsd: 0, unpricedCalls: 1 },
    ]);
    expect(usageByModel(store.db, { fromMs: 0, toMs: Date.parse("2026-11-01T00:00:00Z") }).map((r) => r.costUsd)).toEqual([5]);
  });

  it("sums a range per session with its title, most tokens first, at most `limit` sessions", () => {
    const store = tempStore();
    const titled = store.createSession("Trip to Lyon");
    add(store, "2026-10-31T23:59:59Z", "main", 5, 10_000, "chat", titled.id); // before the range
    add(store, "2026-11-02T10:00:00Z", "main", 0.5, 100, "chat", titled.id);
    add(store, "2026-11-03T10:00:00Z", "main", 0.25, 100, "title", titled.id);
    add(store, "2026-11-03T11:00:00Z", "main", 1, 400, "chat", "gone"); // a deleted session keeps its usage rows
    add(store, "2026-11-04T10:00:00Z", "local", null, 10, "chat", "small");
    const rows = usageBySession(store.db, { fromMs: Date.parse("2026-11-01T00:00:00Z") }, 2);
    expect(rows).toEqual([
      { sessionId: "gone", title: null, calls: 1, promptTokens: 400, completionTokens: 200, cachedTokens: 10, costUsd: 1, unpricedCalls: 0 },
      { sessionId: titled.id, title: "Trip to Lyon", calls: 2, promptTokens: 200, completionTokens: 100, cachedTokens: 20, costUsd: 0.75, unpricedCalls: 0 },
    ]);
  });

  it("splits days by the caller's zone, exactly at local midnight", () => {
    const store = tempStore();
    add(store, "2026-11-01T22:59:00Z", "main", 0.1); // 23:59 in Berlin, Nov 1
    add(store, "2026-11-01T23:00:00Z", "main", 0.2); // 00:00 in Berlin, Nov 2
    add(store, "2026-11-02T12:00:00Z", "main", 0.3);
    const berlin = (ms: number) => new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Berlin" }).format(new Date(ms));
    const days = usageByDay(store.db, { fromMs: 0 }, berlin);
    expect(days.map((d) => [d.date, d.calls, d.costUsd])).toEqual([["2026-11-01", 1, 0.1], ["2026-11-02", 2, 0.5]]);
  });

  it("returns nothing for an empty store", () => {
    const store = tempStore();
    expect(usageByModel(store.db, { fromMs: 0 })).toEqual([]);
    expect(usageByDay(store.db, { fromMs: 0 }, () => "x")).toEqual([]);
  });
});
