import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Usage } from "../../protocol/chat.js";

/** Upper bounds (seconds) of the run latency histogram buckets; `+Inf` is added. */
export const RUN_DURATION_BUCKETS_S = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** Upper bounds (seconds) of the delivery latency histogram buckets (outbox row created → bridge's ack); `+Inf` is added. */
export const DELIVERY_LATENCY_BUCKETS_S = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600];

/**
 * One finished run as the metrics see it (the run loop's run-end info): `model` undefined counts as `unknown`;
 * tokens and cost are of the run's chat calls, `costUsd` null when unpriced.
 */
export interface RunSample {
  status: string;
  model: string | undefined;
  durationMs: number;
  error?: { code: string } | undefined;
  usage: Pick<Usage, "promptTokens" | "completionTokens" | "cachedTokens" | "costUsd">;
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

let processRegistry: Registry | undefined;

/** How long the first scrape waits, in ms, for the event-loop monitor it starts (two of its 10 ms samples). */
export const FIRST_WINDOW_MS = 25;

/**
 * prom-client's default metrics of this process (`process_*`, `nodejs_*`: memory, CPU, handles, GC, and the
 * event-loop lag `nodejs_eventloop_lag_{min,max,mean,stddev,p50,p90,p99}_seconds` from perf_hooks
 * `monitorEventLoopDelay` over the window since the previous scrape). One registry per process, not per daemon:
 * an in-place restart must not start a second event-loop monitor. Created on the first scrape, so an idle daemon
 * that nobody scrapes runs no sampling timer; that first scrape waits {@link FIRST_WINDOW_MS}.
 */
async function defaultMetrics(): Promise<Registry> {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
    // the first window must hold a sample, or its min/max read as the empty histogram's (9.2e9 s and 0)
    await new Promise((r) => setTimeout(r, FIRST_WINDOW_MS));
  }
  return processRegistry;
}

/**
 * The daemon's metrics, kept in a prom-client {@link Registry} of its own (label values are bounded: statuses,
 * error codes, platforms and configured model names) and exposed in the Prometheus text format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/) together with prom-client's default metrics.
 * Series: `agentd_runs_total{status,model}`, `agentd_run_errors_total{code,model}`, `agentd_tokens_total{model,type}`
 * (`type` = prompt | completion | cached), `agentd_cost_usd_total{model}`, the histogram
 * `agentd_run_duration_seconds`, the gauges `agentd_open_connections`, `agentd_runs_executing`, `agentd_runs_waiting`,
 * `agentd_run_concurrency_limit`, the outbox's `agentd_deliveries{state}` (rows per state),
 * `agentd_deliveries_total{platform,outcome}` (delivered or failed since start) and the histogram
 * `agentd_delivery_latency_seconds` (created → acknowledged), the schedules' `agentd_schedules_enabled` and
 * `agentd_schedule_firings{status}` (read from SQLite at each scrape), and `agentd_info{version,agent}`.
 */
export class Metrics {
  /** This daemon's own series (not the process's default metrics). */
  readonly registry = new Registry();
  private readonly runs: Counter<"status" | "model">;
  private readonly errors: Counter<"code" | "model">;
  private readonly tokens: Counter<"model" | "type">;
  private readonly cost: Counter<"model">;
  private readonly runDuration: Histogram;
  private readonly deliveries: Counter<"platform" | "outcome">;
  private readonly deliveryLatency: Histogram;

  constructor(info: { version: string; agent: string }, gauges: MetricsGauges) {
    const registers = [this.registry];
    const gauge = <L extends string>(name: string, help: string, labelNames: L[], collect: (g: Gauge<L>) => void) =>
      new Gauge<L>({ name, help, labelNames, registers, collect(this: Gauge<L>) { collect(this); } });
    gauge("agentd_info", "agentd version and agent name.", ["version", "agent"], (g) => g.set({ version: info.version, agent: info.agent }, 1));
    this.runs = new Counter({ name: "agentd_runs_total", help: "Finished runs by status and model.", labelNames: ["status", "model"], registers });
    this.errors = new Counter({ name: "agentd_run_errors_total", help: "Runs that ended in an error, by wire error code and model.", labelNames: ["code", "model"], registers });
    this.tokens = new Counter({ name: "agentd_tokens_total", help: "Tokens of chat model calls, by model and type (prompt, completion, cached).", labelNames: ["model", "type"], registers });
    this.cost = new Counter({ name: "agentd_cost_usd_total", help: "Cost of chat model calls in USD, by model (priced models only).", labelNames: ["model"], registers });
    this.runDuration = new Histogram({ name: "agentd_run_duration_seconds", help: "Run latency from start to end, in seconds.", buckets: RUN_DURATION_BUCKETS_S, registers });
    gauge("agentd_open_connections", "Open WebSocket connections.", [], (g) => g.set(gauges.openConnections()));
    if (gauges.admission) {
      const adm = gauges.admission;
      gauge("agentd_runs_executing", "Runs executing now (all sessions).", [], (g) => g.set(adm()?.running ?? 0));
      gauge("agentd_runs_waiting", "Runs waiting for a slot of the admission control.", [], (g) => g.set(adm()?.waiting ?? 0));
      gauge("agentd_run_concurrency_limit", "Runs allowed to execute at once now (lowered while the event loop lags; at most agent.maxConcurrentRuns).", [], (g) => g.set(adm()?.limit ?? 0));
    }
    if (gauges.deliveries) {
      const rows = gauges.deliveries;
      gauge("agentd_deliveries", "Outbox deliveries by state (pending, sending, delivered, failed).", ["state"], (g) => {
        for (const [state, n] of Object.entries(rows())) g.set({ state }, n);
      });
    }
    if (gauges.schedules) {
      const sched = gauges.schedules;
      gauge("agentd_schedules_enabled", "Scheduled jobs that are enabled (config, API and agent-made).", [], (g) => g.set(sched().enabledJobs));
      gauge("agentd_schedule_firings", "Recorded firings of scheduled jobs by status (running, ok, silent, skipped, failed).", ["status"], (g) => {
        for (const [status, n] of Object.entries(sched().firings)) g.set({ status }, n);
      });
    }
    this.deliveries = new Counter({ name: "agentd_deliveries_total", help: "Deliveries acknowledged by a bridge or failed since the daemon started, by platform and outcome.", labelNames: ["platform", "outcome"], registers });
    this.deliveryLatency = new Histogram({ name: "agentd_delivery_latency_seconds", help: "Delivery latency from the outbox row to the bridge's acknowledgement, in seconds.", buckets: DELIVERY_LATENCY_BUCKETS_S, registers });
  }

  /** Counts one finished run. */
  recordRun({ status, model = "unknown", durationMs, error, usage: u }: RunSample): void {
    this.runs.inc({ status, model });
    if (error) this.errors.inc({ code: error.code, model });
    if (u.promptTokens) this.tokens.inc({ model, type: "prompt" }, u.promptTokens);
    if (u.completionTokens) this.tokens.inc({ model, type: "completion" }, u.completionTokens);
    if (u.cachedTokens) this.tokens.inc({ model, type: "cached" }, u.cachedTokens);
    if (u.costUsd) this.cost.inc({ model }, u.costUsd);
    this.runDuration.observe(durationMs / 1000);
  }

  /** Counts one delivery that was acknowledged (with its latency) or failed. */
  recordDelivery(s: DeliverySample): void {
    this.deliveries.inc({ platform: s.platform, outcome: s.outcome });
    if (s.outcome === "delivered") this.deliveryLatency.observe(s.latencyMs / 1000);
  }

  /** Content type of {@link render}'s text: `text/plain; version=0.0.4; charset=utf-8`. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * The text exposition of the process's default metrics and this daemon's series. Resets the event-loop lag
   * window (the first call starts sampling it).
   */
  async render(): Promise<string> {
    return (await (await defaultMetrics()).metrics()) + (await this.registry.metrics());
  }
}
