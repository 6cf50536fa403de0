import { describe, it, expect } from "vitest";
import { LazyMetrics, PROMETHEUS_CONTENT_TYPE } from "./lazy-metrics.js";
import { Metrics } from "./metrics.js";

const line = (text: string, prefix: string) => text.split("\n").find((l) => l.startsWith(prefix));
const usage = { promptTokens: 10, completionTokens: 2, cachedTokens: 0, costUsd: null };

describe("LazyMetrics", () => {
  it("creates the metrics on the first sample and counts the samples taken while they load, in order", async () => {
    let created = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const lazy = new LazyMetrics(async () => {
      created++;
      await gate;
      return new Metrics({ version: "1", agent: "a" }, { openConnections: () => 0 });
    }, (err) => { throw err; });
    expect(created).toBe(0);
    lazy.recordRun({ status: "ok", model: "main", durationMs: 10, usage });
    lazy.recordDelivery({ outcome: "delivered", platform: "telegram", latencyMs: 30 });
    lazy.recordRun({ status: "error", model: "main", durationMs: 10, error: { code: "model_error" }, usage });
    expect(created).toBe(1);
    release();
    const text = await lazy.render();
    expect(created).toBe(1);
    expect(line(text, 'agentd_runs_total{status="ok"')).toBe('agentd_runs_total{status="ok",model="main"} 1');
    expect(line(text, 'agentd_runs_total{status="error"')).toBe('agentd_runs_total{status="error",model="main"} 1');
    expect(line(text, 'agentd_deliveries_total{platform="telegram",outcome="delivered"}')).toBe('agentd_deliveries_total{platform="telegram",outcome="delivered"} 1');
    lazy.recordRun({ status: "ok", model: "main", durationMs: 10, usage });
    expect(line(await lazy.render(), 'agentd_runs_total{status="ok"')).toBe('agentd_runs_total{status="ok",model="main"} 2');
    expect(lazy.contentType).toBe(PROMETHEUS_CONTENT_TYPE);
  });

  it("loads nothing before the first scrape and answers it in the Prometheus text format", async () => {
    let created = 0;
    const lazy = new LazyMetrics(async () => (created++, new Metrics({ version: "2", agent: "b" }, { openConnections: () => 4 })), () => {});
    expect(lazy.contentType).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(created).toBe(0);
    const text = await lazy.render();
    expect(created).toBe(1);
    expect(line(text, "agentd_open_connections ")).toBe("agentd_open_connections 4");
    expect(line(text, "agentd_info")).toBe('agentd_info{version="2",agent="b"} 1');
  });

  it("reports a failed load to onError once and rejects every scrape", async () => {
    const errors: unknown[] = [];
    const lazy = new LazyMetrics(() => Promise.reject(new Error("no prom-client")), (err) => errors.push(err));
    lazy.recordRun({ status: "ok", model: "main", durationMs: 10, usage });
    await expect(lazy.render()).rejects.toThrow("no prom-client");
    lazy.recordRun({ status: "ok", model: "main", durationMs: 10, usage });
    await expect(lazy.render()).rejects.toThrow("no prom-client");
    expect(errors).toHaveLength(1);
  });
});
