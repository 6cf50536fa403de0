import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import type { ExecConfig } from "../config/sections/tools.js";

/**
 * The first `name` on `pathEnv` (a PATH value) that is an executable file, or undefined.
 */
export function findOnPath(name: string, pathEnv: string | undefined): string | undefined {
  for (const dir of (pathEnv ?? "").split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/**
 * Which mode `exec` runs in: `bwrap` with the path of the binary, `none` (host, chosen explicitly), or `off` with
 * the reason (disabled, or `sandbox: bwrap` without `bwrap` on PATH: the tool is then absent, never silently
 * unsandboxed).
 */
export type ExecMode = { mode: "bwrap"; bwrap: string } | { mode: "none" } | { mode: "off"; reason: string };

const probes = new Map<string, string | undefined>();

/**
 * Whether `bwrap` can build the sandbox {@link bwrapArgs} describes on this machine (user namespaces may be
 * off, e.g. `kernel.unprivileged_userns_clone=0` or an AppArmor rule): runs `true` inside it once per binary
 * path and caches the answer. Returns undefined when it works, else bwrap's complaint.
 */
export function probeBwrap(bwrap: string): string | undefined {
  if (probes.has(bwrap)) return probes.get(bwrap);
  const r = spawnSync(bwrap, bwrapArgs({ workspace: "/tmp", cwd: SANDBOX_WORKSPACE, network: false, env: {}, command: "true" }), { encoding: "utf8", timeout: 10_000, env: {} });
  const error = r.status === 0 ? undefined : (r.stderr || r.error?.message || `exit ${r.status}`).trim().split("\n")[0];
  probes.set(bwrap, error);
  return error;
}

/**
 * Decides the {@link ExecMode} from `tools.exec` and the PATH the daemon runs with; `probe` (default
 * {@link probeBwrap}) checks that the sandbox really starts, so the tool is never offered as sandboxed when it
 * cannot be.
 */
export function execMode(cfg: ExecConfig, pathEnv: string | undefined = process.env.PATH, probe: (bwrap: string) => string | undefined = probeBwrap): ExecMode {
  if (!cfg.enabled) return { mode: "off", reason: "tools.exec.enabled is false" };
  if (cfg.sandbox === "none") return { mode: "none" };
  const bwrap = findOnPath("bwrap", pathEnv);
  if (!bwrap) return { mode: "off", reason: "bubblewrap (bwrap) is not on PATH; install it, or set tools.exec.sandbox: none to run commands unsandboxed" };
  const broken = probe(bwrap);
  if (broken) return { mode: "off", reason: `bubblewrap cannot create a sandbox on this machine (${broken})` };
  return { mode: "bwrap", bwrap };
}

/** Where the workspace is mounted inside the sandbox (and the sandbox's HOME). */
export const SANDBOX_WORKSPACE = "/workspace";

/** System folders mounted read-only into the sandbox when they exist (binaries, libraries, /etc for DNS and users). */
const SYSTEM_RO = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt"];

/**
 * Secrets of the host under the mounted system folders, hidden inside the sandbox (files covered by an empty
 * `/dev/null`, folders by an empty tmpfs): password hashes, sudo rules, SSH host keys, TLS private keys.
 */
const HIDDEN = ["/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-", "/etc/sudoers", "/etc/sudoers.d", "/etc/ssh", "/etc/ssl/private", "/etc/security/opasswd"];

/**
 * The bubblewrap arguments that run `sh -c command` with: every namespace unshared (network too unless
 * `network`), the system folders read-only (the host secrets of HIDDEN covered), a fresh /proc, /dev and /tmp, the workspace (`workspace`, a host
 * path) the only writable mount at {@link SANDBOX_WORKSPACE} (the agent folder with its `.env`, `agentd.db` and
 * `agentd.yaml` is not mounted at all), the root read-only, a new session (no TIOCSTI into the daemon's
 * terminal), killed with the daemon (`--die-with-parent`), and the environment cleared to `env`.
 * See bwrap(1).
 */
export function bwrapArgs(opts: { workspace: string; cwd: string; network: boolean; env: Record<string, string>; command: string }): string[] {
  const args = ["--unshare-all", ...(opts.network ? ["--share-net"] : []), "--die-with-parent", "--new-session"];
  for (const d of SYSTEM_RO) args.push("--ro-bind-try", d, d);
  for (const h of HIDDEN) {
    if (!existsSync(h)) continue;
    if (statSync(h).isDirectory()) args.push("--tmpfs", h, "--remount-ro", h);
    else args.push("--ro-bind", "/dev/null", h);
  }
  args.push("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--bind", opts.workspace, SANDBOX_WORKSPACE, "--remount-ro", "/", "--chdir", opts.cwd, "--clearenv");
  for (const [k, v] of Object.entries(opts.env)) args.push("--setenv", k, v);
  args.push("--", "/bin/sh", "-c", opts.command);
  return args;
}

/**
 * The environment of a command: nothing of the daemon's (no API keys, no AGENTD_TOKEN), only a standard PATH,
 * HOME (the workspace), LANG and TERM, then `tools.exec.env`.
 */
export function scrubbedEnv(home: string, extra: Record<string, string>): Record<string, string> {
  return { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: home, LANG: "C.UTF-8", TERM: "dumb", ...extra };
}
