import type { FeatureFactory } from "../feature.js";
import { uploadRoutes } from "./uploads.js";

/** Media: `POST /api/upload` (files stored under uploads/, audio transcribed when a transcription model is set). */
export const mediaFeature: FeatureFactory = (ctx) => ({
  name: "media",
  routes: (router) => uploadRoutes(router, ctx),
});
