import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { AgentdError, NotFoundError } from "../errors.js";
import { launchdLabel, launchdPlist, serviceName, systemdUnit, type ServiceSpec } from "./unit-files.js";

/** Which service manager a platform uses: systemd (Linux, user units) or launchd (macOS, per-user agents). */
export type ServiceManager = "systemd" | "launchd";

/** Where a service of `name` lives and how it is managed. `home` defaults to the user's home folder. */
export interface ServiceLocation {
  manager: ServiceManager;
  name: string;
  file: string;
}

/** The service manager of this platform; throws `unavailable` on other platforms (Windows: use a task or NSSM). */
export function managerOf(platform = process.platform): ServiceManager {
  if (platform === "linux") return "systemd";
  if (platform === "darwin") return "launchd";
  throw new AgentdError("unavailable", `agentd service supports Linux (systemd) and macOS (launchd), not ${platform}`);
}

/** The unit file (`~/.config/systemd/user/<name>.service`) or plist (`~/Library/LaunchAgents/<label>.plist`) of an agent folder. */
export function locate(dir: string, opts: { manager?: ServiceManager; home?: string } = {}): ServiceLocation {
  const manager = opts.manager ?? managerOf();
  const home = opts.home ?? homedir();
  const name = serviceName(dir);
  const file = manager === "systemd"
    ? join(process.env.XDG_CONFIG_HOME && !opts.home ? process.env.XDG_CONFIG_HOME : join(home, ".config"), "systemd", "user", `${name}.service`)
    : join(home, "Library", "LaunchAgents", `${launchdLabel(name)}.plist`);
  return { manager, name, file };
}

/**
 * True when a systemd user manager answers here (`systemctl --user show-environment` succeeds). Containers and WSL
 * without systemd, and sessions without a user bus, give false.
 */
export function systemdUsable(): boolean {
  try {
    execFileSync("systemctl", ["--user", "show-environment"], { stdio: "ignore", timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

function run(cmd: string, args: string[]): { ok: boolean; out: string } {
  try {
    return { ok: true, out: execFileSync(cmd, args, { encoding: "utf8", timeout: 15_000, stdio: ["ignore", "pipe", "pipe"] }) };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return { ok: false, out: `${e.stdout ?? ""}${e.stderr ?? ""}`.trim() || e.message };
  }
}

/** The CLI file to run (`agentd` may be an npm bin symlink: its target). */
export function cliFile(argv1 = process.argv[1] ?? ""): string {
  try {
    return realpathSync(argv1);
  } catch {
    return resolve(argv1);
  }
}

/** What {@link installService} did: where the file is, and whether the service manager started it (or why not). */
export interface InstallResult extends ServiceLocation {
  started: boolean;
  note: string;
}

/**
 * `agentd service install DIR`: writes the unit/plist for the folder (replacing one written before) and asks the
 * service manager to enable and start it (`systemctl --user daemon-reload` + `enable --now`; `launchctl bootstrap
 * gui/<uid>`). Where no systemd user manager answers (a container), the file is still written and the result says
 * how to start it. Throws `not_found` when DIR holds no agentd.yaml.
 */
export function installService(dirArg: string, opts: { home?: string; manager?: ServiceManager; activate?: boolean } = {}): InstallResult {
  const dir = resolve(dirArg);
  if (!existsSync(join(dir, "agentd.yaml"))) throw new NotFoundError(`${dir} holds no agentd.yaml (create it with agentd init ${dirArg})`);
  const loc = locate(dir, opts);
  const spec: ServiceSpec = { dir, node: process.execPath, cli: cliFile(), name: loc.name };
  mkdirSync(join(loc.file, ".."), { recursive: true });
  writeFileSync(loc.file, loc.manager === "systemd" ? systemdUnit(spec) : launchdPlist(spec));
  if (opts.activate === false) return { ...loc, started: false, note: "written only" };
  if (loc.manager === "systemd") {
    if (!systemdUsable()) return { ...loc, started: false, note: `no systemd user manager answers here (container or no login session); start it with: systemctl --user daemon-reload && systemctl --user enable --now ${loc.name}` };
    run("systemctl", ["--user", "daemon-reload"]);
    const r = run("systemctl", ["--user", "enable", "--now", `${loc.name}.service`]);
    return { ...loc, started: r.ok, note: r.ok ? `enabled and started; for a start at boot without a login: loginctl enable-linger ${process.env.USER ?? "$USER"}` : r.out };
  }
  const domain = `gui/${process.getuid?.() ?? 0}`;
  run("launchctl", ["bootout", `${domain}/${launchdLabel(loc.name)}`]);
  const r = run("launchctl", ["bootstrap", domain, loc.file]);
  return { ...loc, started: r.ok, note: r.ok ? "loaded and started" : r.out };
}

/**
 * `agentd service uninstall DIR`: stops and disables the service, then deletes its file. Returns false when there
 * was none. The agent folder is not touched.
 */
export function uninstallService(dirArg: string, opts: { home?: string; manager?: ServiceManager } = {}): { removed: boolean; location: ServiceLocation } {
  const loc = locate(resolve(dirArg), opts);
  if (!existsSync(loc.file)) return { removed: false, location: loc };
  if (loc.manager === "systemd") {
    if (systemdUsable()) run("systemctl", ["--user", "disable", "--now", `${loc.name}.service`]);
    rmSync(loc.file, { force: true });
    if (systemdUsable()) run("systemctl", ["--user", "daemon-reload"]);
  } else {
    run("launchctl", ["bootout", `gui/${process.getuid?.() ?? 0}/${launchdLabel(loc.name)}`]);
    rmSync(loc.file, { force: true });
  }
  return { removed: true, location: loc };
}

/** `agentd service status DIR`: whether the file is installed, and the manager's view (`systemctl --user is-active`, `launchctl print`). */
export function serviceStatus(dirArg: string, opts: { home?: string; manager?: ServiceManager } = {}): { installed: boolean; active: string; location: ServiceLocation; execStart?: string } {
  const loc = locate(resolve(dirArg), opts);
  if (!existsSync(loc.file)) return { installed: false, active: "not installed", location: loc };
  const execStart = /^ExecStart=(.*)$/m.exec(readFileSync(loc.file, "utf8"))?.[1];
  let active: string;
  if (loc.manager === "systemd") active = systemdUsable() ? run("systemctl", ["--user", "is-active", `${loc.name}.service`]).out.trim() || "unknown" : "unknown (no systemd user manager answers here)";
  else {
    const r = run("launchctl", ["print", `gui/${process.getuid?.() ?? 0}/${launchdLabel(loc.name)}`]);
    active = r.ok ? (/state = (\w+)/.exec(r.out)?.[1] ?? "loaded") : "not loaded";
  }
  return { installed: true, active, location: loc, ...(execStart ? { execStart } : {}) };
}
