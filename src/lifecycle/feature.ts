import type { FeatureFactory } from "../feature.js";
import { lifecycleRouteGroup } from "./routes.js";

/** Lifecycle: `POST /api/restart` (restart in place) and `POST /api/update` (check for and install a verified update). */
export const lifecycleFeature: FeatureFactory = (ctx) => ({
  name: "lifecycle",
  routes: (router) => lifecycleRouteGroup(router, ctx),
});
