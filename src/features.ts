import type { FeatureFactory } from "./feature.js";
import { agentFeature } from "./agent/feature.js";
import { mcpFeature } from "./mcp/feature.js";
import { metricsFeature } from "./observability/feature.js";
import { mediaFeature } from "./media/feature.js";
import { logsFeature } from "./logs/feature.js";
import { lifecycleFeature } from "./lifecycle/feature.js";
import { channelsFeature } from "./channels/feature.js";
import { configFeature } from "./config/feature.js";
import { vaultFeature } from "./vault/feature.js";
import { deliveriesFeature } from "./deliveries/feature.js";
import { toolsFeature } from "./tools/feature.js";
import { approvalsFeature } from "./approvals/feature.js";
import { tokensFeature } from "./tokens/feature.js";
import { backupFeature } from "./backup/schedule.js";
import { schedulesFeature } from "./schedules/feature.js";
import { hooksFeature } from "./hooks/feature.js";

/**
 * The daemon's features, in start order (stopped in reverse). Each lives in its own folder and plugs in
 * protocol handlers, REST routes, tools and run hooks through {@link FeatureFactory}.
 */
export const FEATURES: FeatureFactory[] = [agentFeature, deliveriesFeature, mediaFeature, logsFeature, lifecycleFeature, metricsFeature, vaultFeature, toolsFeature, approvalsFeature, mcpFeature, channelsFeature, configFeature, schedulesFeature, hooksFeature, backupFeature, tokensFeature];
