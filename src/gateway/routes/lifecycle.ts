import type { ServerResponse } from "node:http";
import { z } from "zod";
import type { DaemonContext } from "../../feature.js";
import { defineRoute, type Router } from "../router.js";
import { createUpdater, UpdateResult } from "../../lifecycle/update-check.js";

/** `POST /api/restart` and `POST /api/update`. */
export const lifecycleRoutes = {
  restart: defineRoute({
    method: "post", path: "/api/restart", scope: "admin", tag: "ops", status: 202,
    summary: "Restart in place: same folder, same port when free; WebSocket clients reconnect (via .port).",
    response: z.strictObject({ restarting: z.literal(true) }),
  }),
  update: defineRoute({
    method: "post", path: "/api/update", scope: "admin", tag: "ops", errors: [409, 503],
    summary: "Check the npm registry for a newer agentd (only a verified package: update.package or a matching repository); with install: true, install it.",
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
 * - `POST /api/update` checks for (and with `install: true` installs) a verified update ({@link createUpdater}):
 *   503 `unavailable` when updates are unavailable or the registry fails, 409 while another update installs.
 */
export function mountLifecycleRoutes(router: Router, ctx: Pick<DaemonContext, "logger" | "requestStop" | "version" | "config">): void {
  const logger = ctx.logger.child({ component: "lifecycle" });
  const update = createUpdater({ version: ctx.version, config: () => ctx.config.get().update, logger });
  router
    .route(lifecycleRoutes.restart, ({ c }) => {
      logger.info("restart requested through the API");
      const restart = () => ctx.requestStop({ restart: true, reason: "api" });
      const res = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
      if (res && typeof res.once === "function") res.once("finish", () => setImmediate(restart));
      else setTimeout(restart, 50);
      return c.json({ restarting: true as const }, 202);
    })
    .route(lifecycleRoutes.update, ({ body }) => update(body.install));
}
