import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
// semver's single functions, not its index (which loads every class and range helper at daemon start, ~5 ms)
import semverGt from "semver/functions/gt.js";
import semverValid from "semver/functions/valid.js";
import { z } from "zod";
import { installedVersionOf, resolveWhatsAppPackage, WHATSAPP_PACKAGE } from "../channels/whatsapp-package.js";
import { AgentdError, ConflictError } from "../errors.js";
import type { UpdateConfig } from "../config/ops-config.js";
import { PACKAGE_ROOT } from "../version.js";

/** How long `npm view` may take before the check gives up, in ms. */
export const UPDATE_CHECK_TIMEOUT_MS = 10_000;
/** How long `npm pack` + `npm install -g` may take, in ms. */
export const UPDATE_INSTALL_TIMEOUT_MS = 300_000;

/** The fields of a registry manifest (`npm view PKG@latest --json`) the update check reads. */
export interface RegistryManifest {
  name: string;
  version: string;
  repository?: string | { url?: string };
  bin?: string | Record<string, string>;
  dist?: { integrity?: string; tarball?: string };
}

/** Where updates come from: the npm package and why it is trusted (`configured` in agentd.yaml, or its `repository` matches). */
export type UpdateSource = { package: string; trust: "configured" | "repository"; repository?: string };

/**
 * A repository URL reduced to `host/owner/name` in lower case, so the forms npm writes compare equal:
 * `git+https://github.com/a/b.git`, `https://github.com/a/b`, `git@github.com:a/b.git`, `github:a/b`.
 * Returns undefined for anything without a host and a path.
 */
export function normalizeRepositoryUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  let u = url.trim().replace(/^git\+/, "").replace(/\.git$/, "").replace(/\/+$/, "");
  const short = /^(github|gitlab|bitbucket):(.+)$/.exec(u);
  if (short) u = `${short[1]}.${short[1] === "bitbucket" ? "org" : "com"}/${short[2]}`;
  u = u.replace(/^[a-z+]+:\/\//, "").replace(/^[^@/]+@/, "").replace(/^([^/:]+):(?!\d)/, "$1/");
  return /^[^/]+\/.+/.test(u) ? u.toLowerCase() : undefined;
}

const repoOf = (r: RegistryManifest["repository"]) => normalizeRepositoryUrl(typeof r === "string" ? r : r?.url);

/** The running build's package name and repository (from its package.json). */
export function ownPackage(root = PACKAGE_ROOT): { name: string; repository?: string } {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as RegistryManifest;
  const repository = repoOf(pkg.repository);
  return { name: pkg.name, ...(repository ? { repository } : {}) };
}

/**
 * Decides where updates may come from, before anything is fetched: `update.package` from agentd.yaml when set
 * (the user vouches for it); else this build's own package name, but only when its package.json names a
 * repository that the registry's package must then match. Throws `unavailable` saying updates are unavailable and
 * why otherwise: the npm name `agentd` belongs to an unrelated project, so an unverified name is never used.
 */
export function updateSource(cfg: UpdateConfig, own = ownPackage()): UpdateSource {
  if (cfg.package) return { package: cfg.package, trust: "configured" };
  if (own.repository) return { package: own.name, trust: "repository", repository: own.repository };
  throw new AgentdError("unavailable", `updates are unavailable: this build of agentd names no repository, so no npm package can be verified as agentd (the npm name "${own.name}" may belong to someone else); set update.package in agentd.yaml to the npm package you install agentd from`, { retryable: false });
}

/**
 * Checks that a registry manifest is the agentd that `source` names: the same package name, an `agentd` command,
 * an integrity hash to verify the download against, and (when trusted by repository) the same repository.
 * Throws `unavailable` naming what did not match.
 */
export function verifyManifest(m: RegistryManifest, source: UpdateSource): void {
  const refuse = (why: string) => {
    throw new AgentdError("unavailable", `updates are unavailable: the registry's ${source.package}@${m.version} ${why}; nothing was installed`, { retryable: false });
  };
  if (m.name !== source.package) refuse(`is named ${m.name}`);
  const bins = typeof m.bin === "string" ? { [m.name.split("/").pop()!]: m.bin } : (m.bin ?? {});
  if (!("agentd" in bins)) refuse("provides no agentd command (not this project)");
  if (!m.dist?.integrity?.startsWith("sha512-")) refuse("has no sha512 integrity hash to verify the download against");
  if (source.trust === "repository" && repoOf(m.repository) !== source.repository) {
    refuse(`comes from ${repoOf(m.repository) ?? "no repository"}, not ${source.repository} (an unrelated package of the same name)`);
  }
  if (!semverValid(m.version)) refuse(`has no valid version (${m.version})`);
}

/** True when `latest` is a newer semantic version than `current` (semver.gt; a pre-release of a newer core counts). */
export function isNewer(latest: string, current: string): boolean {
  return semverValid(latest) !== null && semverValid(current) !== null && semverGt(latest, current);
}

const NPM = process.platform === "win32" ? "npm.cmd" : "npm";

/** Runs npm with a timeout; resolves stdout, or rejects an `unavailable` error with npm's own summary. */
function npm(args: string[], timeoutMs: number, what: string, cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(NPM, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, shell: process.platform === "win32", windowsHide: true, ...(cwd ? { cwd } : {}) }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const e = err as NodeJS.ErrnoException & { killed?: boolean };
      let reason: string;
      if (e.code === "ENOENT") reason = "npm is not installed or not on PATH";
      else if (e.killed) reason = `npm did not answer within ${Math.round(timeoutMs / 1000)} s (offline?)`;
      else reason = npmErrorSummary(stdout, stderr);
      reject(new AgentdError("unavailable", `${what}: ${reason}`, { retryable: true }));
    });
  });
}

/**
 * npm's error summary: the `error.summary` of `--json` output, else the first meaningful `npm error` line; at
 * most 300 characters, with credentials in URLs (`//user:secret@host`) masked.
 */
export function npmErrorSummary(stdout: string, stderr: string): string {
  const clean = (s: string) => s.replace(/\/\/[^/\s:@]+:[^/\s@]+@/g, "//***@").slice(0, 300);
  try {
    const j = JSON.parse(stdout) as { error?: { code?: string; summary?: string } };
    if (j.error?.summary) return clean(j.error.summary.split("\n")[0]!);
  } catch {
    /* not JSON */
  }
  const lines = stderr.split("\n").map((l) => l.replace(/^npm (error|ERR!)\s*/, "").trim()).filter((l) => l && !l.startsWith("npm warn"));
  return clean(lines.find((l) => /reason:|E404|ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EINTEGRITY/.test(l)) ?? lines[0] ?? "npm failed");
}

const NPM_QUIET = ["--fetch-retries=0", `--fetch-timeout=${UPDATE_CHECK_TIMEOUT_MS}`, "--no-update-notifier"];

/**
 * The manifest of `pkg@latest` on the npm registry in force (`npm view PKG@latest --json`, which honours the user's
 * .npmrc: registry, proxy, auth). No retries, {@link UPDATE_CHECK_TIMEOUT_MS} at most. Throws `unavailable` saying
 * why when offline, the registry fails or npm is missing.
 */
export async function latestManifest(pkg: string): Promise<RegistryManifest> {
  const out = await npm(["view", `${pkg}@latest`, "--json", ...NPM_QUIET], UPDATE_CHECK_TIMEOUT_MS, "cannot check for updates");
  let v: unknown;
  try {
    v = JSON.parse(out);
  } catch {
    v = undefined;
  }
  if (Array.isArray(v)) v = v[v.length - 1];
  const m = v as RegistryManifest | undefined;
  if (!m || typeof m.version !== "string" || typeof m.name !== "string") throw new AgentdError("unavailable", `cannot check for updates: the registry gave no manifest for ${pkg}`);
  return m;
}

/**
 * Installs exactly the verified package: `npm pack PKG@VERSION` into a temporary folder (npm checks the download
 * against the registry's integrity), compares the tarball's sha512 with the manifest's `dist.integrity`, then
 * `npm install -g <that tarball>`, so the bytes checked are the bytes installed. The running daemon keeps its
 * loaded code: the new version runs once the process is started again. Throws `unavailable` on any failure.
 */
export async function installVerified(m: RegistryManifest): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "agentd-update-"));
  try {
    const out = await npm(["pack", `${m.name}@${m.version}`, "--json", "--pack-destination", dir, ...NPM_QUIET], UPDATE_INSTALL_TIMEOUT_MS, `cannot download ${m.name}@${m.version}`, dir);
    const packed = (JSON.parse(out) as Array<{ filename: string; integrity: string; name: string; version: string }>)[0];
    if (!packed || packed.integrity !== m.dist?.integrity || packed.name !== m.name || packed.version !== m.version) {
      throw new AgentdError("unavailable", `cannot install ${m.name}@${m.version}: the download does not match the registry's integrity hash; nothing was installed`);
    }
    await npm(["install", "-g", join(dir, packed.filename), "--no-fund", "--no-audit", "--no-update-notifier"], UPDATE_INSTALL_TIMEOUT_MS, `cannot install ${m.name}@${m.version}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Result of `POST /api/update`. */
export const UpdateResult = z.strictObject({
  current: z.string().describe("the running version"),
  package: z.string().describe("the npm package updates come from (update.package, or this build's own name when its repository matches)"),
  latest: z.string().describe("the newest version on the npm registry"),
  updateAvailable: z.boolean(),
  installed: z.boolean().describe("true when this call installed `latest` (only with install: true)"),
  bridgePackages: z.array(z.strictObject({
    package: z.string().describe("the bridge's own npm package, e.g. agentd-whatsapp"),
    version: z.string().describe("the version installed now"),
    command: z.string().describe("the command that installs the version matching `latest`"),
  })).describe("bridge packages installed beside agentd that must move to `latest` with it (agentd and its bridges are released together); never installed by this call"),
  message: z.string(),
});

/** A bridge package installed beside agentd that an update to `latest` leaves behind ({@link UpdateResult}). */
export type BridgePackageUpdate = z.output<typeof UpdateResult>["bridgePackages"][number];

/**
 * The bridge packages installed beside the agentd in `packageRoot` whose version is not `latest`: today the
 * WhatsApp bridge, `agentd-whatsapp` (its own GPL package, docs/bridges.md "WhatsApp"), with the command that
 * installs its `latest` where {@link installVerified} puts agentd: npm's global folder (`npm install -g`), where the
 * updated agentd then finds it. Empty when none is installed. The update does not install it itself: nothing on
 * the registry vouches for a second package name (the name `agentd` already belongs to someone else).
 */
export function bridgePackagesBehind(packageRoot: string, latest: string): BridgePackageUpdate[] {
  const entry = resolveWhatsAppPackage(packageRoot);
  if (!entry) return [];
  const version = installedVersionOf(entry);
  return version === latest ? [] : [{ package: WHATSAPP_PACKAGE, version, command: `npm install -g ${WHATSAPP_PACKAGE}@${latest}` }];
}

const bridgesNote = (bridges: BridgePackageUpdate[]) =>
  bridges.map((b) => `; ${b.package} ${b.version} is installed beside it and must move to the same version: ${b.command}`).join("");

/**
 * The daemon's update procedure behind `POST /api/update`. It never looks at or installs
 * an unverified package (the npm name `agentd` belongs to an unrelated project): the package is `update.package`
 * from agentd.yaml, or this build's own name when its package.json names a repository the registry's package
 * matches; otherwise it throws `unavailable` "updates are unavailable" saying why. The registry's manifest
 * (`npm view PKG@latest`, 10 s at most) must name that package, provide the `agentd` command and carry a sha512
 * integrity hash; versions compare with semver. With `install` and a newer version, the tarball is downloaded,
 * checked against that hash and installed from the file (`npm install -g`, up to 5 min); one update at a time
 * (a second throws {@link ConflictError}). Registry failures throw `unavailable` naming the cause. When a newer
 * version exists and a bridge package is installed beside agentd at another version (`agentd-whatsapp`), the
 * result's `bridgePackages` and message name it with the command that moves it along ({@link bridgePackagesBehind});
 * `packageRoot` (default: this build's folder) is where it is looked for.
 */
export function createUpdater(deps: { version: string; config: () => UpdateConfig; logger: Logger; packageRoot?: string }): (install: boolean) => Promise<z.output<typeof UpdateResult>> {
  let installing = false;
  return async (install) => {
    const current = deps.version;
    const source = updateSource(deps.config());
    const manifest = await latestManifest(source.package);
    verifyManifest(manifest, source);
    const latest = manifest.version;
    const updateAvailable = isNewer(latest, current);
    const bridgePackages = updateAvailable ? bridgePackagesBehind(deps.packageRoot ?? PACKAGE_ROOT, latest) : [];
    const base = { current, package: source.package, latest, updateAvailable, bridgePackages };
    if (!install || !updateAvailable) {
      const message = updateAvailable
        ? `${source.package} ${latest} is available (running ${current}); POST {"install": true} to install it${bridgesNote(bridgePackages)}`
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
      message: `installed ${source.package} ${latest}; stop and start the agent (agentd stop DIR, agentd start DIR, or your service manager) to run it${bridgesNote(bridgePackages)}`,
    };
  };
}
