import type { FeatureFactory } from "./feature.js";
import { mcpFeature } from "./mcp/feature.js";

/**
 * The daemon's features, in start order (stopped in reverse). Each lives in its own folder and plugs in
 * protocol handlers, REST routes, tools and run hooks through {@link FeatureFactory}.
 */
export const FEATURES: FeatureFactory[] = [mcpFeature];
