import type { ServerResponse } from "node:http";
import { z } from "zod";
import type { DaemonContext } from "../../feature.js";
import { ConflictError } from "../../errors.js";
import { defineRoute, type Router } from "../router.js";
import { installVerified, isNewer, latestManifest, updateSource, verifyManifest } from "../../lifecycle/update-check.js";

/** Result of `POST /api/update`. */
export const UpdateResult = z.strictObject({
  current: z.string().describe("the running version"),
  package: z.string().describe("the npm package updates come from (update.package, or this build's own name when its repository matches)"),
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
 * - `POST /api/update` never looks at or installs an unverified package (the npm name `agentd` belongs to an
 *   unrelated project): the package is `update.package` from agentd.yaml, or this build's own name when its
 *   package.json names a repository the registry's package matches; otherwise 503 `unavailable` "updates are
 *   unavailable" saying why. The registry's manifest (`npm view PKG@latest`, 10 s at most) must name that package,
 *   provide the `agentd` command and carry a sha512 integrity hash; versions compare with semver. With
 *   `install: true` and a newer version, the tarball is downloaded, checked against that hash and installed from
 *   the file (`npm install -g`, up to 5 min); one update at a time (409). Registry failures: 503 naming the cause.
 */
export function mountLifecycleRoutes(router: Router, ctx: Pick<DaemonContext, "logger" | "requestStop" | "version" | "config">): void {
  const logger = ctx.logger.child({ component: "lifecycle" });
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
      const source = updateSource(ctx.config.get().update);
      const manifest = await latestManifest(source.package);
      verifyManifest(manifest, source);
      const latest = manifest.version;
      const updateAvailable = isNewer(latest, current);
      const base = { current, package: source.package, latest, updateAvailable };
      if (!body.install || !updateAvailable) {
        const message = updateAvailable
          ? `${source.package} ${latest} is available (running ${current}); POST {"install": true} to install it`
          : `agentd ${current} is up to date (latest ${source.package} ${latest})`;
        return { ...base, installed: false, message };
      }
      if (installing) throw new ConflictError("an update is already being installed");
      installing = true;
      try {
        logger.info({ current, latest, package: source.package }, "installing an update");
        await installVerified(manifest);
      } finally {
        installing = false;
      }
      logger.info({ latest }, "update installed; start the process again to run it");
      return {
        ...base, installed: true,
        message: `installed ${source.package} ${latest}; stop and start the agent (agentd stop DIR, agentd start DIR, or your service manager) to run it`,
      };
    });
}
