import { monitorEventLoopDelay, type ELDHistogram } from "node:perf_hooks";
import { z } from "zod";
import { defineRoute } from "../gateway/router.js";

/** Upper bounds (seconds) of the run latency histogram buckets; `+Inf` is added. */
export const RUN_DURATION_BUCKETS_S = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** `GET /metrics`: Prometheus text exposition format 0.0.4. Behind the token unless `metrics.public: true`. */
export const metricsRoute = defineRoute({
  method: "get", path: "/metrics", scope: "read", tag: "ops",
  summary: "Prometheus metrics (text format 0.0.4): runs, errors, tokens, cost, run latency, connections, event-loop lag. Open without a token when metrics.public is true.",
  raw: { response: "text/plain; version=0.0.4" },
  response: z.string().describe("Prometheus text exposition format"),
});

/** Upper bounds (seconds) of the delivery latency histogram buckets (outbox row created → bridge's ack); `+Inf` is added. */
export const DELIVERY_LATENCY_BUCKETS_S = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600];

/** Sampling interval of the event-loop delay monitor, in ms (perf_hooks `monitorEventLoopDelay`). */
export const LAG_RESOLUTION_MS = 10;

/** One finished run as the metrics see it. Tokens and cost are of the run's chat calls; `costUsd` null when unpriced. */
export interface RunSample {
  status: string;
  model: string;
  durationMs: number;
  errorCode?: string | undefined;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  costUsd: number | null;
}

/** Gauges read at scrape time. */
export interface MetricsGauges {
  openConnections: () => number;
  /** Runs executing, waiting for a slot, and the admission limit (the run scheduler). */
  admission?: () => { running: number; waiting: number; limit: number } | undefined;
  /** Outbox rows per state (issue 11). */
  deliveries?: () => Record<"pending" | "sending" | "delivered" | "failed", number>;
  /** Scheduled jobs enabled, and recorded firings per status (issue 11; the newest 1000 per job are kept). */
  schedules?: () => { enabledJobs: number; firings: Record<string, number> };
}

/** A delivery that reached `delivered` (with its latency in ms, created → acknowledged) or `failed`. */
export type DeliverySample = { outcome: "delivered"; platform: string; latencyMs: number } | { outcome: "failed"; platform: string };

/** Escapes a label value for the text format (backslash, double quote, line feed). */
export function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

const labels = (l: Record<string, string>) => {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
};

/** A counter family keyed by its label set. */
class Counter {
  readonly values = new Map<string, { labels: Record<string, string>; value: number }>();
  inc(l: Record<string, string>, by = 1): void {
    const key = JSON.stringify(l);
    const cur = this.values.get(key);
    if (cur) cur.value += by;
    else this.values.set(key, { labels: l, value: by });
  }
}

const num = (n: number) => (Number.isFinite(n) ? String(n) : n > 0 ? "+Inf" : n < 0 ? "-Inf" : "NaN");

/**
 * The daemon's metrics, kept in memory (bounded: label values are statuses, error codes and configured model
 * names) and written by hand in the Prometheus text format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/). Series:
 * `agentd_runs_total{status,model}`, `agentd_run_errors_total{code,model}`, `agentd_tokens_total{model,type}`
 * (`type` = prompt | completion | cached), `agentd_cost_usd_total{model}`, the histogram
 * `agentd_run_duration_seconds`, the gauges `agentd_open_connections`, `agentd_runs_executing`, `agentd_runs_waiting`,
 * `agentd_run_concurrency_limit`, the outbox's `agentd_deliveries{state}` (rows per state),
 * `agentd_deliveries_total{platform,outcome}` (delivered or failed since start) and the histogram
 * `agentd_delivery_latency_seconds` (created → acknowledged), the schedules' `agentd_schedules_enabled` and
 * `agentd_schedule_firings{status}` (read from SQLite at each scrape), `nodejs_eventloop_lag_p50_seconds`,
 * `nodejs_eventloop_lag_p99_seconds`, `nodejs_eventloop_lag_max_seconds` (how late the loop ran a timer, over the
 * window since the previous scrape; names as prom-client's), `process_resident_memory_bytes`, `nodejs_heap_size_total_bytes`, `nodejs_heap_size_used_bytes`,
 * `nodejs_external_memory_bytes`, `process_start_time_seconds` and `agentd_info`.
 */
export class Metrics {
  private readonly runs = new Counter();
  private readonly errors = new Counter();
  private readonly tokens = new Counter();
  private readonly cost = new Counter();
  private readonly buckets = new Array<number>(RUN_DURATION_BUCKETS_S.length).fill(0);
  private durationCount = 0;
  private durationSum = 0;
  private lag: ELDHistogram | undefined;
  private readonly deliveries = new Counter();
  private readonly latencyBuckets = new Array<number>(DELIVERY_LATENCY_BUCKETS_S.length).fill(0);
  private latencyCount = 0;
  private latencySum = 0;

  constructor(private readonly info: { version: string; agent: string; startedAt: number }, private readonly gauges: MetricsGauges) {}

  /**
   * Starts sampling event-loop delay every {@link LAG_RESOLUTION_MS}. Idempotent. {@link render} starts it too, so
   * an idle daemon nobody scrapes runs no sampling timer: the first scrape opens the first window.
   */
  start(): void {
    if (this.lag) return;
    this.lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
    this.lag.enable();
  }

  /** Stops sampling event-loop delay. */
  stop(): void {
    this.lag?.disable();
    this.lag = undefined;
  }

  /** Counts one finished run. */
  recordRun(s: RunSample): void {
    this.runs.inc({ status: s.status, model: s.model });
    if (s.errorCode) this.errors.inc({ code: s.errorCode, model: s.model });
    if (s.promptTokens) this.tokens.inc({ model: s.model, type: "prompt" }, s.promptTokens);
    if (s.completionTokens) this.tokens.inc({ model: s.model, type: "completion" }, s.completionTokens);
    if (s.cachedTokens) this.tokens.inc({ model: s.model, type: "cached" }, s.cachedTokens);
    if (s.costUsd) this.cost.inc({ model: s.model }, s.costUsd);
    const seconds = s.durationMs / 1000;
    this.durationCount++;
    this.durationSum += seconds;
    for (let i = 0; i < RUN_DURATION_BUCKETS_S.length; i++) if (seconds <= RUN_DURATION_BUCKETS_S[i]!) this.buckets[i]!++;
  }

  /** Counts one delivery that was acknowledged (with its latency) or failed. */
  recordDelivery(s: DeliverySample): void {
    this.deliveries.inc({ platform: s.platform, outcome: s.outcome });
    if (s.outcome !== "delivered") return;
    const seconds = s.latencyMs / 1000;
    this.latencyCount++;
    this.latencySum += seconds;
    for (let i = 0; i < DELIVERY_LATENCY_BUCKETS_S.length; i++) if (seconds <= DELIVERY_LATENCY_BUCKETS_S[i]!) this.latencyBuckets[i]!++;
  }

  /** The text exposition of every series; resets the event-loop lag window (and starts sampling on the first call). */
  render(): string {
    this.start();
    const out: string[] = [];
    const family = (name: string, type: string, help: string, c: Counter) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const v of c.values.values()) out.push(`${name}${labels(v.labels)} ${num(v.value)}`);
    };
    const gauge = (name: string, help: string, value: number, l: Record<string, string> = {}) =>
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name}${labels(l)} ${num(value)}`);

    gauge("agentd_info", "agentd version and agent name.", 1, { version: this.info.version, agent: this.info.agent });
    family("agentd_runs_total", "counter", "Finished runs by status and model.", this.runs);
    family("agentd_run_errors_total", "counter", "Runs that ended in an error, by wire error code and model.", this.errors);
    family("agentd_tokens_total", "counter", "Tokens of chat model calls, by model and type (prompt, completion, cached).", this.tokens);
    family("agentd_cost_usd_total", "counter", "Cost of chat model calls in USD, by model (priced models only).", this.cost);
    out.push("# HELP agentd_run_duration_seconds Run latency from start to end, in seconds.", "# TYPE agentd_run_duration_seconds histogram");
    RUN_DURATION_BUCKETS_S.forEach((le, i) => out.push(`agentd_run_duration_seconds_bucket{le="${le}"} ${this.buckets[i]}`));
    out.push(`agentd_run_duration_seconds_bucket{le="+Inf"} ${this.durationCount}`);
    out.push(`agentd_run_duration_seconds_sum ${num(this.durationSum)}`, `agentd_run_duration_seconds_count ${this.durationCount}`);
    gauge("agentd_open_connections", "Open WebSocket connections.", this.gauges.openConnections());
    const adm = this.gauges.admission?.();
    if (adm) {
      gauge("agentd_runs_executing", "Runs executing now (all sessions).", adm.running);
      gauge("agentd_runs_waiting", "Runs waiting for a slot of the admission control.", adm.waiting);
      gauge("agentd_run_concurrency_limit", "Runs allowed to execute at once now (lowered while the event loop lags; at most agent.maxConcurrentRuns).", adm.limit);
    }
    const rows = this.gauges.deliveries?.();
    if (rows) {
      out.push("# HELP agentd_deliveries Outbox deliveries by state (pending, sending, delivered, failed).", "# TYPE agentd_deliveries gauge");
      for (const [state, n] of Object.entries(rows)) out.push(`agentd_deliveries${labels({ state })} ${num(n)}`);
    }
    const sched = this.gauges.schedules?.();
    if (sched) {
      gauge("agentd_schedules_enabled", "Scheduled jobs that are enabled (config, API and agent-made).", sched.enabledJobs);
      out.push("# HELP agentd_schedule_firings Recorded firings of scheduled jobs by status (running, ok, silent, skipped, failed).", "# TYPE agentd_schedule_firings gauge");
      for (const [status, n] of Object.entries(sched.firings)) out.push(`agentd_schedule_firings${labels({ status })} ${num(n)}`);
    }
    family("agentd_deliveries_total", "counter", "Deliveries acknowledged by a bridge or failed since the daemon started, by platform and outcome.", this.deliveries);
    out.push("# HELP agentd_delivery_latency_seconds Delivery latency from the outbox row to the bridge's acknowledgement, in seconds.", "# TYPE agentd_delivery_latency_seconds histogram");
    DELIVERY_LATENCY_BUCKETS_S.forEach((le, i) => out.push(`agentd_delivery_latency_seconds_bucket{le="${le}"} ${this.latencyBuckets[i]}`));
    out.push(`agentd_delivery_latency_seconds_bucket{le="+Inf"} ${this.latencyCount}`);
    out.push(`agentd_delivery_latency_seconds_sum ${num(this.latencySum)}`, `agentd_delivery_latency_seconds_count ${this.latencyCount}`);
    const h = this.lag;
    // the histogram records whole sampling intervals: the lag is what exceeds the interval
    const lagS = (ns: number) => (Number.isFinite(ns) && h && h.count > 0 ? Math.max(0, ns / 1e6 - LAG_RESOLUTION_MS) / 1000 : 0);
    gauge("nodejs_eventloop_lag_p50_seconds", "Event-loop delay, median since the last scrape, in seconds.", lagS(h?.percentile(50) ?? 0));
    gauge("nodejs_eventloop_lag_p99_seconds", "Event-loop delay, 99th percentile since the last scrape, in seconds.", lagS(h?.percentile(99) ?? 0));
    gauge("nodejs_eventloop_lag_max_seconds", "Event-loop delay, maximum since the last scrape, in seconds.", lagS(h?.max ?? 0));
    h?.reset();
    const mem = process.memoryUsage();
    gauge("process_resident_memory_bytes", "Resident memory size in bytes.", mem.rss);
    gauge("nodejs_heap_size_total_bytes", "V8 heap size reserved by the process, in bytes.", mem.heapTotal);
    gauge("nodejs_heap_size_used_bytes", "V8 heap size in use (live and not yet collected objects), in bytes.", mem.heapUsed);
    gauge("nodejs_external_memory_bytes", "Memory of C++ objects bound to JavaScript objects (buffers included), in bytes.", mem.external);
    gauge("process_start_time_seconds", "Start time of the daemon since the Unix epoch, in seconds.", Math.floor(this.info.startedAt / 1000));
    return `${out.join("\n")}\n`;
  }
}
