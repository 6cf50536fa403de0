import { describe, it, expect } from "vitest";
import { Metrics } from "./metrics.js";

const line = (text: string, prefix: string) => text.split("\n").find((l) => l.startsWith(prefix));

describe("Metrics", async () => {
  it("writes counters, the latency histogram and gauges in the Prometheus text format", async () => {
    let open = 2;
    const m = new Metrics({ version: "1.2.3", agent: "ann" }, { openConnections: () => open, admission: () => ({ running: 5, waiting: 7, limit: 12 }) });
    m.recordRun({ status: "ok", model: "main", durationMs: 80, usage: { promptTokens: 100, completionTokens: 20, cachedTokens: 0, costUsd: 0.002 } });
    m.recordRun({ status: "ok", model: "main", durationMs: 3000, usage: { promptTokens: 50, completionTokens: 5, cachedTokens: 10, costUsd: null } });
    m.recordRun({ status: "error", model: "main", durationMs: 20, error: { code: "model_error" }, usage: { promptTokens: 0, completionTokens: 0, cachedTokens: 0, costUsd: null } });
    open = 3;
    const text = await m.render();
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
    for (const l of text.trim().split("\n").filter((x) => x && !x.startsWith("#"))) expect(l).toMatch(/^[a-z_:][a-z0-9_:]*(\{.*\})? [-+0-9.eInfNa]+$/);
  });

  it("writes the outbox's rows per state, settled deliveries and the delivery latency histogram", async () => {
    const m = new Metrics({ version: "1", agent: "a" }, { openConnections: () => 0, deliveries: () => ({ pending: 3, sending: 1, delivered: 40, failed: 2 }) });
    m.recordDelivery({ outcome: "delivered", platform: "telegram", latencyMs: 40 });
    m.recordDelivery({ outcome: "delivered", platform: "telegram", latencyMs: 2000 });
    m.recordDelivery({ outcome: "failed", platform: "discord" });
    const text = await m.render();
    expect(line(text, 'agentd_deliveries{state="pending"}')).toBe('agentd_deliveries{state="pending"} 3');
    expect(line(text, 'agentd_deliveries{state="failed"}')).toBe('agentd_deliveries{state="failed"} 2');
    expect(line(text, 'agentd_deliveries_total{platform="telegram",outcome="delivered"}')).toMatch(/ 2$/);
    expect(line(text, 'agentd_deliveries_total{platform="discord",outcome="failed"}')).toMatch(/ 1$/);
    expect(line(text, 'agentd_delivery_latency_seconds_bucket{le="0.05"}')).toMatch(/ 1$/);
    expect(line(text, 'agentd_delivery_latency_seconds_bucket{le="2.5"}')).toMatch(/ 2$/);
    expect(line(text, "agentd_delivery_latency_seconds_sum")).toBe("agentd_delivery_latency_seconds_sum 2.04");
  });

  it("writes the enabled scheduled jobs and their firings per status", async () => {
    const m = new Metrics({ version: "1", agent: "a" }, { openConnections: () => 0, schedules: () => ({ enabledJobs: 4, firings: { running: 1, ok: 30, silent: 5, skipped: 9, failed: 2 } }) });
    const text = await m.render();
    expect(line(text, "agentd_schedules_enabled")).toBe("agentd_schedules_enabled 4");
    expect(line(text, 'agentd_schedule_firings{status="ok"}')).toBe('agentd_schedule_firings{status="ok"} 30');
    expect(line(text, 'agentd_schedule_firings{status="failed"}')).toBe('agentd_schedule_firings{status="failed"} 2');
  });

  it("escapes label values", async () => {
    const m = new Metrics({ version: "1", agent: 'a"b\\c\nd' }, { openConnections: () => 0 });
    expect(line(await m.render(), "agentd_info")).toBe('agentd_info{version="1",agent="a\\"b\\\\c\\nd"} 1');
  });

  it("keeps one registry per daemon and adds prom-client's process metrics, event-loop lag included", async () => {
    const a = new Metrics({ version: "1", agent: "a" }, { openConnections: () => 1 });
    const b = new Metrics({ version: "1", agent: "b" }, { openConnections: () => 2 });
    a.recordRun({ status: "ok", model: "m", durationMs: 1, usage: { promptTokens: 0, completionTokens: 0, cachedTokens: 0, costUsd: null } });
    const [ta, tb] = [await a.render(), await b.render()];
    expect(line(ta, "agentd_runs_total{")).toBe('agentd_runs_total{status="ok",model="m"} 1');
    expect(line(tb, "agentd_runs_total{")).toBeUndefined();
    expect(line(tb, "agentd_open_connections ")).toBe("agentd_open_connections 2");
    for (const name of ["process_resident_memory_bytes", "nodejs_heap_size_used_bytes", "nodejs_external_memory_bytes", "process_start_time_seconds", "nodejs_eventloop_lag_max_seconds", "nodejs_eventloop_lag_p50_seconds"]) {
      expect(line(ta, `${name} `), name).toMatch(/ [\d.e+-]+$/);
    }
  });
});
