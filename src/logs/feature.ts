import type { FeatureFactory } from "../feature.js";
import { logRoutes } from "./routes.js";

/** Logs: `GET|DELETE /api/logs` over the daemon's in-memory buffer of recent log events. */
export const logsFeature: FeatureFactory = (ctx) => ({
  name: "logs",
  routes: (router) => logRoutes(router, ctx.logBuffer),
});
