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
 * The REST routes that are not a protocol method's mapping (multipart uploads, `/metrics` text, logs,
 * restart/update, webhooks, token admin, delivery file bytes, the owner's approval answers, config and models,
 * and `GET /api/openapi.json`, built from every route mounted on the router), each over the daemon's services and
 * those the features provide. Keyed by the feature whose method routes they follow, so the OpenAPI document and
 * docs/rest.md list them beside the operations of the same concern (the daemon mounts them in that order).
 */
export const REST_ROUTES: Record<string, Array<(router: Router, ctx: DaemonContext, services: Services) => void>> = {
  deliveries: [mountDeliveryRoutes, mountUploadRoutes, mountLogRoutes, mountLifecycleRoutes, mountMetricsRoute],
  approvals: [mountApprovalRoutes],
  config: [
    (router, ctx, services) => mountConfigRoutes(router, { store: ctx.config, writer: services.configWriter }),
    (router, ctx, services) => mountModelRoutes(router, { store: ctx.config, writer: services.configWriter, pool: ctx.pool, redact: ctx.redact }),
    (router, ctx) => mountOpenApiRoute(router, { specs: () => router.specs, version: ctx.version }),
  ],
  schedules: [mountHookRoutes],
  backup: [mountTokenRoutes],
};
