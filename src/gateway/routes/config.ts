import { z } from "zod";
import type { ConfigStore } from "../../config/config-store.js";
import type { ConfigWriter } from "../../config/config-writer.js";
import { maskConfig, unmaskSecrets } from "../../config/mask.js";
import { mergePatch } from "../../config/merge-patch.js";
import { Config } from "../../config/schema.js";
import { checkListen } from "../listen-check.js";
import { defineRoute, type Router } from "../router.js";

/** The top-level keys of agentd.yaml (`PATCH /api/config/{section}`). */
export const ConfigSection = z.enum(Object.keys(Config.shape) as [string, ...string[]]);

/**
 * Answer of every config write: the config now in force (secrets masked), the top-level keys that changed,
 * and those of them that apply only after a restart (`POST /api/restart`); the others already apply.
 */
export const ConfigChange = z.strictObject({
  config: Config,
  changed: z.array(z.string()),
  restartRequired: z.array(z.string()),
});
/** See {@link ConfigChange}. */
export type ConfigChange = z.infer<typeof ConfigChange>;

/** The config routes: read (masked), replace, patch one section. */
export const configRoutes = {
  get: defineRoute({
    method: "get", path: "/api/config", scope: "admin", tag: "config",
    summary: "The config in force (agentd.yaml with ${ENV} expanded and defaults applied); secrets masked (`sk-…abcd` or `[set]`).",
    response: Config,
  }),
  put: defineRoute({
    method: "put", path: "/api/config", scope: "admin", tag: "config", errors: [400, 409],
    summary: "Replace the whole config. Validated first (400 with the key path, file untouched; a server.host this machine cannot listen on is refused too); comments and ${ENV} references of unchanged values survive; a masked secret sent back keeps the stored one, a new secret goes to .env as ${NAME}.",
    body: Config, response: ConfigChange,
  }),
  patch: defineRoute({
    method: "patch", path: "/api/config/{section}", scope: "admin", tag: "config", errors: [400, 409],
    summary: "Change one top-level section with a JSON Merge Patch (RFC 7396: objects merge, null removes a key, other values replace). Other sections are untouched; secrets as for PUT. A server.host or server.port the daemon could not listen on is refused (400).",
    params: z.strictObject({ section: ConfigSection }),
    body: z.unknown().describe("JSON Merge Patch of the section, e.g. {\"main\": {\"model\": \"gpt-4o\"}} for `models`"),
    response: ConfigChange,
  }),
};

/** What the config routes need: the config in force and the writer of agentd.yaml. */
export interface ConfigRouteDeps {
  store: ConfigStore;
  writer: ConfigWriter;
}

/** Applies a config write and answers with {@link ConfigChange} (secrets masked). */
export function writeConfig(deps: ConfigRouteDeps, next: Record<string, unknown>): ConfigChange {
  const r = deps.writer.write(next);
  return { config: maskConfig(r.config), changed: r.changed, restartRequired: r.restartRequired };
}

/**
 * Like {@link writeConfig}, after checking that the daemon could listen with the resulting `server` block
 * (host resolvable and local, a bindable port, see `checkListen`): a restart with it would otherwise fail.
 * 400 with the key path (`server.host`, `server.port`); nothing is written then.
 */
export async function writeServerChecked(deps: ConfigRouteDeps, next: Record<string, unknown>): Promise<ConfigChange> {
  await checkListen(deps.writer.preview(next).server, deps.writer.file);
  return writeConfig(deps, next);
}

/** Mounts `GET /api/config`, `PUT /api/config` and `PATCH /api/config/{section}`. */
export function mountConfigRoutes(router: Router, deps: ConfigRouteDeps): void {
  router
    .route(configRoutes.get, () => maskConfig(deps.store.get()))
    .route(configRoutes.put, ({ sent }) => {
      // the validated body has defaults filled in: write what the client sent, so omitted keys fall back to defaults
      const raw = sent as Record<string, unknown>;
      return writeServerChecked(deps, unmaskSecrets(raw, deps.store.get()));
    })
    .route(configRoutes.patch, ({ params, body }) => {
      const current = deps.store.get() as Record<string, unknown>;
      const section = params.section;
      const patched = unmaskSecrets(mergePatch(current[section], body), current, [section]);
      const next: Record<string, unknown> = { ...current };
      if (patched === null) delete next[section];
      else next[section] = patched;
      return section === "server" ? writeServerChecked(deps, next) : writeConfig(deps, next);
    });
}
