import type { FeatureFactory } from "../feature.js";
import { watchConfigFile, type ConfigWatch } from "./config-watch.js";
import { ConfigWriter } from "./config-writer.js";

/**
 * The config feature (issue 5): the {@link ConfigWriter} behind `GET|PUT /api/config`, `PATCH /api/config/{section}`
 * and the model and provider routes (src/gateway/routes/config.ts, models.ts). Writes persist to agentd.yaml and
 * apply live through the config store; an edit of agentd.yaml by hand is picked up the same way (an invalid one
 * is logged and ignored).
 */
export const configFeature: FeatureFactory = (ctx) => {
  const logger = ctx.logger.child({ component: "config" });
  const writer = new ConfigWriter({ dir: ctx.dir, store: ctx.config, logger });
  let watch: ConfigWatch | undefined;
  return {
    name: "config",
    provides: { configWriter: writer },
    start: () => {
      writer.prime();
      watch = watchConfigFile(ctx.dir, () => writer.reload(), { logger });
    },
    stop: async () => watch?.close(),
  };
};
