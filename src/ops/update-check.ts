import { execFile } from "node:child_process";
import { AgentdError } from "../errors.js";

/** How long `npm view` may take before the check gives up, in ms. */
export const UPDATE_CHECK_TIMEOUT_MS = 10_000;
/** How long `npm install -g` may take, in ms. */
export const UPDATE_INSTALL_TIMEOUT_MS = 300_000;

/**
 * Compares two semantic versions (`1.2.3`, `1.2.3-rc.1`, an optional leading `v`): negative when `a < b`, 0 when
 * equal, positive when `a > b`. A pre-release sorts before its release; pre-release identifiers compare
 * numerically when both are numbers, else as text (semver.org §11). Build metadata (`+…`) is ignored.
 */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const [core = "", pre] = v.trim().replace(/^v/, "").split("+")[0]!.split(/-(.*)/s);
    return { nums: core.split(".").map((n) => Number.parseInt(n, 10) || 0), pre: pre ? pre.split(".") : [] };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) {
    const d = (x.nums[i] ?? 0) - (y.nums[i] ?? 0);
    if (d !== 0) return d;
  }
  if (x.pre.length === 0 || y.pre.length === 0) return y.pre.length - x.pre.length;
  for (let i = 0; i < Math.max(x.pre.length, y.pre.length); i++) {
    const p = x.pre[i];
    const q = y.pre[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    const pn = /^\d+$/.test(p);
    const qn = /^\d+$/.test(q);
    if (pn && qn && Number(p) !== Number(q)) return Number(p) - Number(q);
    if (pn !== qn) return pn ? -1 : 1;
    if (p !== q) return p < q ? -1 : 1;
  }
  return 0;
}

const NPM = process.platform === "win32" ? "npm.cmd" : "npm";

/** Runs npm with a timeout; resolves stdout, or rejects an `unavailable` error with npm's own summary. */
function npm(args: string[], timeoutMs: number, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(NPM, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, shell: process.platform === "win32", windowsHide: true }, (err, stdout, stderr) => {
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
  return clean(lines.find((l) => /reason:|E404|ENOTFOUND|ECONNREFUSED|ETIMEDOUT/.test(l)) ?? lines[0] ?? "npm failed");
}

/**
 * The latest version of `pkg` on the npm registry in force (`npm view PKG version --json`, which honours the
 * user's .npmrc: registry, proxy, auth). No retries, {@link UPDATE_CHECK_TIMEOUT_MS} at most. Throws an
 * `unavailable` {@link AgentdError} saying why when offline, the registry fails or npm is missing.
 */
export async function latestVersion(pkg = "agentd"): Promise<string> {
  const out = await npm(
    ["view", pkg, "version", "--json", "--fetch-retries=0", `--fetch-timeout=${UPDATE_CHECK_TIMEOUT_MS}`, "--no-update-notifier"],
    UPDATE_CHECK_TIMEOUT_MS, "cannot check for updates",
  );
  let v: unknown;
  try {
    v = JSON.parse(out);
  } catch {
    v = out.trim();
  }
  if (Array.isArray(v)) v = v[v.length - 1];
  if (typeof v !== "string" || !/^v?\d+\.\d+\.\d+/.test(v)) throw new AgentdError("unavailable", `cannot check for updates: the registry gave no version for ${pkg}`);
  return v;
}

/**
 * Installs `pkg@version` globally (`npm install -g`), as `npm i -g agentd` did first. The running daemon keeps
 * its loaded code: the new version runs once the process is started again. Throws `unavailable` on failure.
 */
export async function installVersion(version: string, pkg = "agentd"): Promise<void> {
  await npm(["install", "-g", `${pkg}@${version}`, "--no-fund", "--no-audit", "--no-update-notifier"], UPDATE_INSTALL_TIMEOUT_MS, `cannot install ${pkg}@${version}`);
}
