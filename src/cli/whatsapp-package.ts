import { createRequire } from "node:module";
import { dirname, resolve, sep } from "node:path";

/**
 * The npm package of the WhatsApp bridge. It is not part of agentd's MIT package: it runs Baileys, which needs
 * libsignal (GPL-3.0), so it is its own package, `agentd-whatsapp`, under GPL-3.0-or-later (bridges/whatsapp/,
 * docs/bridges.md "WhatsApp"), installed next to agentd by whoever wants the bridge.
 */
export const WHATSAPP_PACKAGE = "agentd-whatsapp";

/**
 * The entry of the installed WhatsApp bridge package, resolved the way Node resolves a bare import from the CLI's
 * real file `cliFile`: found in any `node_modules` above it, so `npm install -g agentd agentd-whatsapp` (siblings in the
 * global `lib/node_modules`), a project's `npm install agentd agentd-whatsapp`, and agentd's own repository (an npm
 * workspace) all work. Returns null when the package is not installed there.
 */
export function resolveWhatsAppPackage(cliFile: string): string | null {
  try {
    return createRequire(resolve(cliFile)).resolve(WHATSAPP_PACKAGE);
  } catch {
    return null;
  }
}

/**
 * The exact command that installs the WhatsApp bridge for the agentd whose CLI is `cliFile` (real path), pinned to
 * agentd's `version` (the bridge speaks the protocol of the same release):
 * - a global install (`…/lib/node_modules/agentd/…`, npm's global layout on Linux and macOS, or a
 *   `node_modules/agentd` directly under npm's prefix, Windows' layout, when `npm_config_prefix` names it):
 *   `npm install -g agentd-whatsapp@VERSION`;
 * - a project install (`PROJECT/node_modules/agentd/…`): `cd PROJECT && npm install agentd-whatsapp@VERSION`;
 * - agentd's repository (no `node_modules/agentd` in the path): `cd REPO && npm install && npm run build`, which
 *   links and builds the bridges/whatsapp workspace.
 */
export function whatsAppInstallCommand(cliFile: string, version: string, globalPrefix = process.env.npm_config_prefix): string {
  const file = resolve(cliFile);
  const marker = `${sep}node_modules${sep}agentd${sep}`;
  const at = file.lastIndexOf(marker);
  const spec = `${WHATSAPP_PACKAGE}@${version}`;
  if (at < 0) {
    // dist/bundle/src/cli/main.js → the repository root four folders up
    const repo = resolve(dirname(file), "..", "..", "..", "..");
    return `cd ${repo} && npm install && npm run build`;
  }
  const project = file.slice(0, at) || sep;
  const isGlobal = project.endsWith(`${sep}lib`) || (globalPrefix !== undefined && resolve(globalPrefix) === resolve(project));
  return isGlobal ? `npm install -g ${spec}` : `cd ${project} && npm install ${spec}`;
}
