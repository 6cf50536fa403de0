import type { ServerResponse } from "node:http";
import { z } from "zod";
import type { DaemonContext } from "../feature.js";
import { ConflictError } from "../errors.js";
import { defineRoute, type Router } from "../gateway/router.js";
import { compareVersions, installVersion, latestVersion } from "./update-check.js";

/** Result of `POST /api/update`. */
export const UpdateResult = z.strictObject({
  current: z.string().describe("the running version"),
  latest: z.string().describe("the newest version on the npm registry"),
  updateAvailable: z.boolean(),
  installed: z.boolean().describe("true when this call installed `latest` (only with install: true)"),
  message: z.string(),
});

/** `POST /api/restart` and `POST /api/update`. */
export const lifecycleRoutes = {
  restart: defineRoute({
    method: "post", path: "/api/restart", scope: "admin", tag: "ops", status: 202,
    summary: "Restart in place: same folder, same port when free; WebSocket clients reconnect (via .port).",
    response: z.strictObject({ restarting: z.literal(true) }),
  }),
  update: defineRoute({
    method: "post", path: "/api/update", scope: "admin", tag: "ops", errors: [409, 503],
    summary: "Check the npm registry for a newer agentd; with install: true, run `npm install -g agentd@<latest>`.",
    body: z.strictObject({ install: z.boolean().default(false).describe("install the newer version globally (the process must be started again to run it)") }),
    response: UpdateResult,
  }),
};

/**
 * Mounts the lifecycle routes.
 * - `POST /api/restart` answers 202 `{ restarting: true }`, then (once the response is flushed) asks the CLI to
 *   stop gracefully and start again in the same process (src/cli/start.ts): runs get `server.shutdownGraceMs`,
 *   clients are closed with 1001 and reconnect to the port written to `.port`. Config and prompts are read again;
 *   the loaded code is not (an installed update needs a real process start).
 * - `POST /api/update` compares the running version with `npm view agentd version` (10 s at most, no retries);
 *   offline or any registry failure → 503 `unavailable` naming the cause. With `install: true` and a newer version,
 *   runs `npm install -g agentd@<latest>` (up to 5 min) and reports `installed: true`; one update at a time (409).
 */
export function lifecycleRouteGroup(router: Router, ctx: DaemonContext): void {
  const logger = ctx.logger.child({ component: "ops" });
  let installing = false;
  router
    .route(lifecycleRoutes.restart, ({ c }) => {
      logger.info("restart requested through the API");
      const restart = () => ctx.requestStop({ restart: true, reason: "api" });
      const res = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
      if (res && typeof res.once === "function") res.once("finish", () => setImmediate(restart));
      else setTimeout(restart, 50);
      return c.json({ restarting: true as const }, 202);
    })
    .route(lifecycleRoutes.update, async ({ body }) => {
      const current = ctx.version;
      const latest = await latestVersion();
      const updateAvailable = compareVersions(latest, current) > 0;
      if (!body.install || !updateAvailable) {
        const message = updateAvailable
          ? `agentd ${latest} is available (running ${current}); POST {"install": true} or run npm install -g agentd@${latest}`
          : `agentd ${current} is up to date (latest ${latest})`;
        return { current, latest, updateAvailable, installed: false, message };
      }
      if (installing) throw new ConflictError("an update is already being installed");
      installing = true;
      try {
        logger.info({ current, latest }, "installing an update");
        await installVersion(latest);
      } finally {
        installing = false;
      }
      logger.info({ latest }, "update installed; start the process again to run it");
      return {
        current, latest, updateAvailable, installed: true,
        message: `installed agentd ${latest}; stop and start the agent (agentd stop DIR, agentd start DIR, or your service manager) to run it`,
      };
    });
}
