import { createHash } from "node:crypto";
import { basename } from "node:path";
import { build as buildPlist } from "plist";

/** Exit code of a bad configuration (sysexits.h EX_CONFIG): the service manager must not restart on it. */
export const EXIT_CONFIG = 78;
/** Seconds the service manager waits before starting a failed agent again. */
export const RESTART_DELAY_S = 5;

/** What a service runs: the agent folder, the Node binary and the agentd CLI file (absolute paths). */
export interface ServiceSpec {
  dir: string;
  node: string;
  cli: string;
  /** The service's name (see {@link serviceName}). */
  name: string;
  /** PATH for the agent (MCP servers started with `npx` need it); default: the installing shell's. */
  path?: string;
}

/**
 * glibc malloc settings of the daemon under systemd (man mallopt(3)); glibc reads them when the process starts,
 * so they belong in the service's environment, not in the daemon (issue 20 removed its re-exec). One arena instead
 * of up to eight per core, and fixed mmap/trim thresholds of 128 KiB: glibc otherwise raises both after freeing a
 * large block and then keeps freed memory (docs/performance.md, "The daemon's memory settings").
 */
export const DAEMON_MALLOC_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: "1", MALLOC_MMAP_THRESHOLD_: "131072", MALLOC_TRIM_THRESHOLD_: "131072" };

/**
 * The service name of an agent folder: `agentd-<folder name>` reduced to letters, digits, `-` and `_`, plus the
 * first 6 hex digits of the folder path's SHA-1 so two folders of the same name get two services.
 */
export function serviceName(dir: string): string {
  const slug = basename(dir).replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40) || "agent";
  return `agentd-${slug}-${createHash("sha1").update(dir).digest("hex").slice(0, 6)}`;
}

/**
 * Quotes one argument of `ExecStart=` as systemd reads it (systemd.service(5), "Command lines"): double quotes
 * with `\` and `"` escaped; `%` doubled (specifiers) and `$` doubled (variable expansion).
 */
export function systemdQuote(arg: string): string {
  return `"${arg.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/%/g, "%%").replace(/\$/g, "$$$$")}"`;
}

/**
 * A systemd user unit (systemd.service(5)) that runs `node <cli> start DIR` in the folder: restarted on failure
 * after {@link RESTART_DELAY_S} s but not after a configuration error (exit 78), stopped with SIGTERM (the daemon
 * stops gracefully), started at login and, with lingering (`loginctl enable-linger`), at boot. Standard output
 * (the same JSON lines as logs/agentd.log) is dropped to avoid keeping every line twice; standard error goes to the
 * journal. The environment carries PATH and {@link DAEMON_MALLOC_ENV}. `WorkingDirectory=` takes the path as it is (no quotes; only `%` is doubled), `ExecStart=` and
 * `Environment=` quoted words ({@link systemdQuote}); `systemd-analyze verify` accepts the result (tests/service.test.ts).
 */
export function systemdUnit(s: ServiceSpec): string {
  const exec = [s.node, s.cli, "start", s.dir].map(systemdQuote).join(" ");
  return `# ${s.name}.service: written by \`agentd service install\`; remove with \`agentd service uninstall ${s.dir}\`
[Unit]
Description=agentd agent in ${s.dir.replace(/%/g, "%%")}
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
WorkingDirectory=${s.dir.replace(/%/g, "%%")}
ExecStart=${exec}
Environment=${[`PATH=${s.path ?? process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin"}`, ...Object.entries(DAEMON_MALLOC_ENV).map(([k, v]) => `${k}=${v}`)].map(systemdQuote).join(" ")}
Restart=on-failure
RestartSec=${RESTART_DELAY_S}
RestartPreventExitStatus=${EXIT_CONFIG}
KillSignal=SIGTERM
TimeoutStopSec=30
StandardOutput=null
StandardError=journal

[Install]
WantedBy=default.target
`;
}

/** The launchd label of a service: `dev.agentd.<name>`. */
export const launchdLabel = (name: string) => `dev.agentd.${name}`;

/**
 * A launchd agent (launchd.plist(5)) that runs `node <cli> start DIR`: loaded at login (`RunAtLoad`), started
 * again when it exits unsuccessfully (`KeepAlive.SuccessfulExit = false`), at most every {@link RESTART_DELAY_S} s
 * (`ThrottleInterval`); standard error to `DIR/logs/launchd.err.log`, standard output dropped (see
 * {@link systemdUnit}). Built with the `plist` package.
 */
export function launchdPlist(s: ServiceSpec): string {
  return buildPlist({
    Label: launchdLabel(s.name),
    ProgramArguments: [s.node, s.cli, "start", s.dir],
    WorkingDirectory: s.dir,
    EnvironmentVariables: { PATH: s.path ?? process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin" },
    RunAtLoad: true,
    KeepAlive: { SuccessfulExit: false },
    ThrottleInterval: RESTART_DELAY_S,
    ProcessType: "Background",
    StandardOutPath: "/dev/null",
    StandardErrorPath: `${s.dir}/logs/launchd.err.log`,
  });
}
