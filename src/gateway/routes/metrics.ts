import { z } from "zod";
import type { Services } from "../../feature.js";
import { defineRoute, type Router } from "../router.js";

/** `GET /metrics`: Prometheus text exposition format 0.0.4. Behind the token unless `metrics.public: true`. */
export const metricsRoute = defineRoute({
  method: "get", path: "/metrics", scope: "read", tag: "ops",
  summary: "Prometheus metrics (text format 0.0.4): runs, errors, tokens, cost, run latency, connections, event-loop lag. Open without a token when metrics.public is true.",
  raw: { response: "text/plain; version=0.0.4" },
  response: z.string().describe("Prometheus text exposition format"),
});

/** Mounts `GET /metrics` over the metrics the observability feature provides (src/observability). */
export function mountMetricsRoute(router: Router, _ctx: unknown, { metrics }: Pick<Services, "metrics">): void {
  router.route(metricsRoute, async ({ c }) => c.body(await metrics.render(), 200, { "content-type": metrics.contentType }));
}
