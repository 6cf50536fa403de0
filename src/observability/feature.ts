import type { FeatureFactory } from "../feature.js";
import { LazyMetrics } from "./lazy-metrics.js";
import { ScheduleQueries } from "../store/schedule-queries.js";

/**
 * Observability: the metrics behind `GET /metrics` (Prometheus; src/gateway/routes/metrics.ts), counted from every
 * run's end (its `onRunEnd` hook) and every delivery the outbox settles (subscribed when created). prom-client is
 * loaded on the first scrape or the first sample, not at start ({@link LazyMetrics}).
 */
export const metricsFeature: FeatureFactory = (ctx) => {
  const schedules = new ScheduleQueries(ctx.store);
  const metrics = new LazyMetrics(
    async () => new (await import("./metrics.js")).Metrics({ version: ctx.version, agent: ctx.config.get().name }, {
      openConnections: () => ctx.openConnections(), admission: () => ctx.runner.admission, deliveries: () => ctx.outbox.counts(),
      schedules: () => schedules.metrics(),
    }),
    (err) => ctx.logger.error({ err }, "metrics: prom-client did not load; samples are not counted"),
  );
  ctx.outbox.onSettled((s) => metrics.recordDelivery(s));
  return { name: "metrics", runHooks: { onRunEnd: (info) => metrics.recordRun(info) }, provides: { metrics } };
};
