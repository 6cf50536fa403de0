import type { FeatureFactory } from "../feature.js";
import { Metrics, metricsRoute } from "./metrics.js";
import { ScheduleQueries } from "../store/schedule-queries.js";
import { uploadRoutes } from "./uploads.js";
import { logRoutes } from "./logs-routes.js";
import { lifecycleRouteGroup } from "./lifecycle.js";

/**
 * Operations: `POST /api/upload` (files under uploads/, audio transcription), `GET|DELETE /api/logs`,
 * `POST /api/restart`, `POST /api/update` and `GET /metrics` (Prometheus; counted from every run's end and every
 * delivery the outbox settles).
 */
export const opsFeature: FeatureFactory = (ctx) => {
  const schedules = new ScheduleQueries(ctx.store);
  const metrics = new Metrics({ version: ctx.version, agent: ctx.config.get().name, startedAt: ctx.startedAt }, {
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
    name: "ops",
    routes: (router) => {
      uploadRoutes(router, ctx);
      logRoutes(router, ctx.logBuffer);
      lifecycleRouteGroup(router, ctx);
      router.route(metricsRoute, ({ c }) => c.body(metrics.render(), 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }));
    },
    stop: async () => metrics.stop(),
  };
};
