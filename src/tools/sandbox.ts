import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import type { ExecConfig } from "./config.js";

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

/** Decides the {@link ExecMode} from `tools.exec` and the PATH the daemon runs with. */
export function execMode(cfg: ExecConfig, pathEnv: string | undefined = process.env.PATH): ExecMode {
  if (!cfg.enabled) return { mode: "off", reason: "tools.exec.enabled is false" };
  if (cfg.sandbox === "none") return { mode: "none" };
  const bwrap = findOnPath("bwrap", pathEnv);
  if (!bwrap) return { mode: "off", reason: "bubblewrap (bwrap) is not on PATH; install it, or set tools.exec.sandbox: none to run commands unsandboxed" };
  return { mode: "bwrap", bwrap };
}

/** Where the workspace is mounted inside the sandbox (and the sandbox's HOME). */
export const SANDBOX_WORKSPACE = "/workspace";

/** System folders mounted read-only into the sandbox when they exist (binaries, libraries, /etc for DNS and users). */
const SYSTEM_RO = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt"];

/**
 * The bubblewrap arguments that run `sh -c command` with: every namespace unshared (network too unless
 * `network`), the system folders read-only, a fresh /proc, /dev and /tmp, the workspace (`workspace`, a host
 * path) the only writable mount at {@link SANDBOX_WORKSPACE} (the agent folder with its `.env`, `agentd.db` and
 * `agentd.yaml` is not mounted at all), the root read-only, a new session (no TIOCSTI into the daemon's
 * terminal), killed with the daemon (`--die-with-parent`), and the environment cleared to `env`.
 * See bwrap(1).
 */
export function bwrapArgs(opts: { workspace: string; cwd: string; network: boolean; env: Record<string, string>; command: string }): string[] {
  const args = ["--unshare-all", ...(opts.network ? ["--share-net"] : []), "--die-with-parent", "--new-session"];
  for (const d of SYSTEM_RO) args.push("--ro-bind-try", d, d);
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
