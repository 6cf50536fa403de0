import type { DaemonContext, Services } from "../../feature.js";
import { mountOpenApiRoute } from "../openapi.js";
import type { Router } from "../router.js";
import { mountApprovalRoutes } from "./approvals.js";
import { mountConfigRoutes } from "./config.js";
import { mountDeliveryRoutes } from "./deliveries.js";
import { mountHookRoutes } from "./hooks.js";
import { mountLifecycleRoutes } from "./lifecycle.js";
import { mountLogRoutes } from "./logs.js";
import { mountMetricsRoute } from "./metrics.js";
import { mountModelRoutes } from "./models.js";
import { mountTokenRoutes } from "./tokens.js";
import { mountUploadRoutes } from "./uploads.js";

/**
 * Mounts the REST routes that are not a protocol method's mapping (multipart uploads, `/metrics` text, logs,
 * restart/update, webhooks, token admin, delivery file bytes, the owner's approval answers, config and models),
 * each over the daemon's services and those the features provide (`services`), and last `GET /api/openapi.json`,
 * built from every route mounted on `router` (method routes included).
 */
export function mountRestRoutes(router: Router, ctx: DaemonContext, services: Services): void {
  mountDeliveryRoutes(router, ctx);
  mountUploadRoutes(router, ctx);
  mountLogRoutes(router, ctx.logBuffer);
  mountLifecycleRoutes(router, ctx);
  mountMetricsRoute(router, services.metrics);
  mountApprovalRoutes(router, ctx);
  mountConfigRoutes(router, { store: ctx.config, writer: services.configWriter });
  mountModelRoutes(router, { store: ctx.config, writer: services.configWriter, pool: ctx.pool, redact: ctx.redact });
  mountOpenApiRoute(router, { specs: () => router.specs, version: ctx.version });
  mountHookRoutes(router, ctx);
  mountTokenRoutes(router, ctx);
}
