import type { Logger } from "pino";
import { z } from "zod";
import { ConflictError } from "../errors.js";
import type { UpdateConfig } from "../config/ops-config.js";
import { installVerified, isNewer, latestManifest, updateSource, verifyManifest } from "./update-check.js";

/** Result of `POST /api/update`. */
export const UpdateResult = z.strictObject({
  current: z.string().describe("the running version"),
  package: z.string().describe("the npm package updates come from (update.package, or this build's own name when its repository matches)"),
  latest: z.string().describe("the newest version on the npm registry"),
  updateAvailable: z.boolean(),
  installed: z.boolean().describe("true when this call installed `latest` (only with install: true)"),
  message: z.string(),
});

/**
 * The daemon's update procedure behind `POST /api/update`. It never looks at or installs
 * an unverified package (the npm name `agentd` belongs to an unrelated project): the package is `update.package`
 * from agentd.yaml, or this build's own name when its package.json names a repository the registry's package
 * matches; otherwise it throws `unavailable` "updates are unavailable" saying why. The registry's manifest
 * (`npm view PKG@latest`, 10 s at most) must name that package, provide the `agentd` command and carry a sha512
 * integrity hash; versions compare with semver. With `install` and a newer version, the tarball is downloaded,
 * checked against that hash and installed from the file (`npm install -g`, up to 5 min); one update at a time
 * (a second throws {@link ConflictError}). Registry failures throw `unavailable` naming the cause.
 */
export function createUpdater(deps: { version: string; config: () => UpdateConfig; logger: Logger }): (install: boolean) => Promise<z.output<typeof UpdateResult>> {
  let installing = false;
  return async (install) => {
    const current = deps.version;
    const source = updateSource(deps.config());
    const manifest = await latestManifest(source.package);
    verifyManifest(manifest, source);
    const latest = manifest.version;
    const updateAvailable = isNewer(latest, current);
    const base = { current, package: source.package, latest, updateAvailable };
    if (!install || !updateAvailable) {
      const message = updateAvailable
        ? `${source.package} ${latest} is available (running ${current}); POST {"install": true} to install it`
        : `agentd ${current} is up to date (latest ${source.package} ${latest})`;
      return { ...base, installed: false, message };
    }
    if (installing) throw new ConflictError("an update is already being installed");
    installing = true;
    try {
      deps.logger.info({ current, latest, package: source.package }, "installing an update");
      await installVerified(manifest);
    } finally {
      installing = false;
    }
    deps.logger.info({ latest }, "update installed; start the process again to run it");
    return {
      ...base, installed: true,
      message: `installed ${source.package} ${latest}; stop and start the agent (agentd stop DIR, agentd start DIR, or your service manager) to run it`,
    };
  };
}
