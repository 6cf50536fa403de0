import type { FeatureFactory } from "../feature.js";
import { Metrics, metricsRoute } from "./metrics.js";
import { ScheduleQueries } from "../store/schedule-queries.js";

/**
 * Observability: `GET /metrics` (Prometheus; counted from every run's end and every delivery the outbox settles).
 * Subscribes to `ctx.outbox` and `ctx.hooks.onEnd` when created.
 */
export const metricsFeature: FeatureFactory = (ctx) => {
  const schedules = new ScheduleQueries(ctx.store);
  const metrics = new Metrics({ version: ctx.version, agent: ctx.config.get().name }, {
    openConnections: () => ctx.openConnections(), admission: () => ctx.runner.admission, deliveries: () => ctx.outbox.counts(),
    schedules: () => schedules.metrics(),
  });
  ctx.outbox.onSettled((s) => metrics.recordDelivery(s));
  ctx.hooks.onEnd.push((info) => {
    const { usage } = info;
    metrics.recordRun({
      status: info.status, model: info.model ?? "unknown", durationMs: info.durationMs, errorCode: info.error?.code,
      promptTokens: usage.promptTokens, completionTokens: usage.completionTokens, cachedTokens: usage.cachedTokens, costUsd: usage.costUsd,
    });
  });
  return {
    name: "metrics",
    routes: (router) => {
      router.route(metricsRoute, async ({ c }) => c.body(await metrics.render(), 200, { "content-type": metrics.contentType }));
    },
  };
};
