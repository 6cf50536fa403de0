import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve, sep } from "node:path";

/**
 * The npm package of the WhatsApp bridge. It is not part of agentd's MIT package: it runs Baileys, which needs
 * libsignal (GPL-3.0), so it is its own package, `agentd-whatsapp`, under GPL-3.0-or-later (bridges/whatsapp/,
 * docs/bridges.md "WhatsApp"), installed next to agentd by whoever wants the bridge.
 */
export const WHATSAPP_PACKAGE = "agentd-whatsapp";

/**
 * The agentd package folder holding `file` (e.g. the CLI's real file `…/dist/bundle/src/cli/main.js`): the nearest
 * folder above it with a package.json named `agentd`; `fallback` (default: the fourth folder up, the bundle's
 * layout) when there is none.
 */
export function packageRootOf(file: string, fallback = resolve(dirname(file), "..", "..", "..", "..")): string {
  for (let dir = dirname(resolve(file)); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    try {
      if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name === "agentd") return dir;
    } catch {
      /* an unreadable package.json: keep looking */
    }
  }
  return fallback;
}

/**
 * The entry of the installed WhatsApp bridge package, resolved the way Node resolves a bare import from agentd's
 * package folder `packageRoot`: found in any `node_modules` above it, so `npm install -g agentd agentd-whatsapp`
 * (siblings in the global `lib/node_modules`), a project's `npm install agentd agentd-whatsapp`, and agentd's own
 * repository (an npm workspace) all work. Returns null when the package is not installed there.
 */
export function resolveWhatsAppPackage(packageRoot: string): string | null {
  try {
    return createRequire(join(resolve(packageRoot), "package.json")).resolve(WHATSAPP_PACKAGE);
  } catch {
    return null;
  }
}

/**
 * The installed WhatsApp bridge's version (its package.json beside `dist/`, from {@link resolveWhatsAppPackage}'s
 * entry), or `"unknown"` when that file cannot be read.
 */
export function installedVersionOf(entry: string): string {
  try {
    return String((JSON.parse(readFileSync(join(dirname(entry), "..", "package.json"), "utf8")) as { version?: unknown }).version);
  } catch {
    return "unknown";
  }
}

/**
 * The exact command that installs the WhatsApp bridge for the agentd in `packageRoot`, pinned to agentd's `version`
 * (the bridge speaks the protocol of the same release):
 * - a global install (`…/lib/node_modules/agentd`, npm's global layout on Linux and macOS, or a `node_modules/agentd`
 *   directly under npm's prefix, Windows' layout, when `globalPrefix` (`npm_config_prefix`) names it):
 *   `npm install -g agentd-whatsapp@VERSION`;
 * - a project install (`PROJECT/node_modules/agentd`): `cd PROJECT && npm install agentd-whatsapp@VERSION`;
 * - agentd's repository (anything else): `cd REPO && npm install && npm run build`, which links and builds the
 *   bridges/whatsapp workspace.
 */
export function whatsAppInstallCommand(packageRoot: string, version: string, globalPrefix = process.env.npm_config_prefix): string {
  const root = resolve(packageRoot);
  const marker = `${sep}node_modules${sep}agentd`;
  const spec = `${WHATSAPP_PACKAGE}@${version}`;
  if (!root.endsWith(marker)) return `cd ${root} && npm install && npm run build`;
  const project = root.slice(0, -marker.length) || sep;
  const isGlobal = project.endsWith(`${sep}lib`) || (globalPrefix !== undefined && resolve(globalPrefix) === resolve(project));
  return isGlobal ? `npm install -g ${spec}` : `cd ${project} && npm install ${spec}`;
}

/** Why the WhatsApp bridge cannot run ({@link whatsAppPackageProblem}): `message` says what is wrong, `command` fixes it. */
export interface WhatsAppPackageProblem {
  message: string;
  command: string;
}

/**
 * Why the WhatsApp bridge cannot run from `packageRoot`, with the command that fixes it, or null when it can: the
 * package is missing, or its version is not `version` (agentd and its bridge are released together).
 */
export function whatsAppPackageProblem(packageRoot: string, version: string): WhatsAppPackageProblem | null {
  const entry = resolveWhatsAppPackage(packageRoot);
  const command = whatsAppInstallCommand(packageRoot, version);
  if (!entry) {
    return {
      message: `the WhatsApp bridge is not installed: it is the separate package ${WHATSAPP_PACKAGE} (GPL-3.0-or-later, since it uses ` +
        "Baileys and libsignal; agentd itself is MIT)",
      command,
    };
  }
  const installed = installedVersionOf(entry);
  return installed === version ? null : { message: `${WHATSAPP_PACKAGE} ${installed} is installed but agentd is ${version}`, command };
}
