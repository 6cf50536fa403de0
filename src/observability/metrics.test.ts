import { describe, it, expect } from "vitest";
import { Metrics, escapeLabel } from "./metrics.js";

const line = (text: string, prefix: string) => text.split("\n").find((l) => l.startsWith(prefix));

describe("Metrics", () => {
  it("writes counters, the latency histogram and gauges in the Prometheus text format", () => {
    let open = 2;
    const m = new Metrics({ version: "1.2.3", agent: "ann", startedAt: 1_700_000_000_000 }, { openConnections: () => open, admission: () => ({ running: 5, waiting: 7, limit: 12 }) });
    m.recordRun({ status: "ok", model: "main", durationMs: 80, promptTokens: 100, completionTokens: 20, cachedTokens: 0, costUsd: 0.002 });
    m.recordRun({ status: "ok", model: "main", durationMs: 3000, promptTokens: 50, completionTokens: 5, cachedTokens: 10, costUsd: null });
    m.recordRun({ status: "error", model: "main", durationMs: 20, errorCode: "model_error", promptTokens: 0, completionTokens: 0, cachedTokens: 0, costUsd: null });
    open = 3;
    const text = m.render();
    m.stop();
    expect(text.endsWith("\n")).toBe(true);
    expect(line(text, 'agentd_runs_total{status="ok",model="main"}')).toBe('agentd_runs_total{status="ok",model="main"} 2');
    expect(line(text, 'agentd_runs_total{status="error"')).toBe('agentd_runs_total{status="error",model="main"} 1');
    expect(line(text, "agentd_run_errors_total{")).toBe('agentd_run_errors_total{code="model_error",model="main"} 1');
    expect(line(text, 'agentd_tokens_total{model="main",type="prompt"}')).toBe('agentd_tokens_total{model="main",type="prompt"} 150');
    expect(line(text, 'agentd_tokens_total{model="main",type="cached"}')).toBe('agentd_tokens_total{model="main",type="cached"} 10');
    expect(line(text, "agentd_cost_usd_total{")).toBe('agentd_cost_usd_total{model="main"} 0.002');
    expect(line(text, 'agentd_run_duration_seconds_bucket{le="0.05"}')).toMatch(/ 1$/);
    expect(line(text, 'agentd_run_duration_seconds_bucket{le="0.1"}')).toMatch(/ 2$/);
    expect(line(text, 'agentd_run_duration_seconds_bucket{le="5"}')).toMatch(/ 3$/);
    expect(line(text, 'agentd_run_duration_seconds_bucket{le="+Inf"}')).toMatch(/ 3$/);
    expect(line(text, "agentd_run_duration_seconds_count")).toBe("agentd_run_duration_seconds_count 3");
    expect(line(text, "agentd_run_duration_seconds_sum")).toBe("agentd_run_duration_seconds_sum 3.1");
    expect(line(text, "agentd_open_connections ")).toBe("agentd_open_connections 3");
    expect([line(text, "agentd_runs_executing "), line(text, "agentd_runs_waiting "), line(text, "agentd_run_concurrency_limit ")]).toEqual([
      "agentd_runs_executing 5", "agentd_runs_waiting 7", "agentd_run_concurrency_limit 12",
    ]);
    expect(line(text, "nodejs_eventloop_lag_p99_seconds ")).toMatch(/^nodejs_eventloop_lag_p99_seconds \d/);
    expect(text).toContain("# TYPE agentd_run_duration_seconds histogram");
    expect(line(text, "agentd_info")).toBe('agentd_info{version="1.2.3",agent="ann"} 1');
    // every sample line is `name{labels} value`
    for (const l of text.trim().split("\n").filter((x) => !x.startsWith("#"))) expect(l).toMatch(/^[a-z_:][a-z0-9_:]*(\{.*\})? [-+0-9.eInfNa]+$/);
  });

  it("writes the outbox's rows per state, settled deliveries and the delivery latency histogram", () => {
    const m = new Metrics({ version: "1", agent: "a", startedAt: 0 }, { openConnections: () => 0, deliveries: () => ({ pending: 3, sending: 1, delivered: 40, failed: 2 }) });
    m.recordDelivery({ outcome: "delivered", platform: "telegram", latencyMs: 40 });
    m.recordDelivery({ outcome: "delivered", platform: "telegram", latencyMs: 2000 });
    m.recordDelivery({ outcome: "failed", platform: "discord" });
    const text = m.render();
    m.stop();
    expect(line(text, 'agentd_deliveries{state="pending"}')).toBe('agentd_deliveries{state="pending"} 3');
    expect(line(text, 'agentd_deliveries{state="failed"}')).toBe('agentd_deliveries{state="failed"} 2');
    expect(line(text, 'agentd_deliveries_total{platform="telegram",outcome="delivered"}')).toMatch(/ 2$/);
    expect(line(text, 'agentd_deliveries_total{platform="discord",outcome="failed"}')).toMatch(/ 1$/);
    expect(line(text, 'agentd_delivery_latency_seconds_bucket{le="0.05"}')).toMatch(/ 1$/);
    expect(line(text, 'agentd_delivery_latency_seconds_bucket{le="2.5"}')).toMatch(/ 2$/);
    expect(line(text, "agentd_delivery_latency_seconds_sum")).toBe("agentd_delivery_latency_seconds_sum 2.04");
  });

  it("writes the enabled scheduled jobs and their firings per status", () => {
    const m = new Metrics({ version: "1", agent: "a", startedAt: 0 }, { openConnections: () => 0, schedules: () => ({ enabledJobs: 4, firings: { running: 1, ok: 30, silent: 5, skipped: 9, failed: 2 } }) });
    const text = m.render();
    m.stop();
    expect(line(text, "agentd_schedules_enabled")).toBe("agentd_schedules_enabled 4");
    expect(line(text, 'agentd_schedule_firings{status="ok"}')).toBe('agentd_schedule_firings{status="ok"} 30');
    expect(line(text, 'agentd_schedule_firings{status="failed"}')).toBe('agentd_schedule_firings{status="failed"} 2');
  });

  it("escapes label values", () => {
    expect(escapeLabel('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
  });
});
