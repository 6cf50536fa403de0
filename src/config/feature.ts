import type { FeatureFactory } from "../feature.js";
import { mountOpenApiRoute } from "../gateway/openapi.js";
import { mountConfigRoutes } from "../gateway/routes/config.js";
import { mountModelRoutes } from "../gateway/routes/models.js";
import { watchConfigFile, type ConfigWatch } from "./config-watch.js";
import { ConfigWriter } from "./config-writer.js";

/**
 * The config feature (issue 5): `GET|PUT /api/config`, `PATCH /api/config/{section}`, the model and provider
 * routes, and `GET /api/openapi.json` (built from every feature's routes). Writes persist to agentd.yaml and
 * apply live through the config store; an edit of agentd.yaml by hand is picked up the same way (an invalid one
 * is logged and ignored).
 */
export const configFeature: FeatureFactory = (ctx) => {
  const logger = ctx.logger.child({ component: "config" });
  const writer = new ConfigWriter({ dir: ctx.dir, store: ctx.config, logger });
  let watch: ConfigWatch | undefined;
  return {
    name: "config",
    routes: (router) => {
      mountConfigRoutes(router, { store: ctx.config, writer });
      mountModelRoutes(router, { store: ctx.config, writer, pool: ctx.pool, redact: ctx.redact });
      mountOpenApiRoute(router, { specs: () => ctx.routes(), version: ctx.version });
    },
    start: () => {
      writer.prime();
      watch = watchConfigFile(ctx.dir, () => writer.reload(), { logger });
    },
    stop: async () => watch?.close(),
  };
};
