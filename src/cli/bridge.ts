import { existsSync, realpathSync } from "node:fs";
import type { Socket } from "node:net";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { AgentdError, ConfigError } from "../errors.js";
import { CONFIG_FILE, loadConfig } from "../config/load.js";
import { PLATFORMS, isPlatform } from "../config/sections/channels.js";
import { EXIT_CONFIG } from "../channels/supervisor.js";
import { routeProcessWarnings } from "./process-warnings.js";
import { VERSION } from "../version.js";
import { packageRootOf, resolveWhatsAppPackage, whatsAppPackageProblem } from "../channels/whatsapp-package.js";

/**
 * What every bridge entry (`bridges/<platform>/main.ts`) exports. `agentDir`: connect through the folder's
 * `.port` and token; or `url` + `token` (a daemon on another machine). `config`: the platform's block of the
 * agent's `channels` config (bot token, API root…), undefined when no agent folder was given.
 * Resolves when the bridge has stopped.
 */
export interface BridgeModule {
  runBridge(opts: { agentDir?: string; url?: string; token?: string; config?: unknown }): Promise<void>;
}

/** Options of {@link bridgeCommand}. */
export interface BridgeCommandOptions {
  platform: string;
  /** The agent folder: where to find port, token and config. With `url`, only the config is read from it. */
  agentDir?: string;
  url?: string;
  token?: string;
  /**
   * The running CLI's own file, e.g. `fileURLToPath(import.meta.url)` in `src/cli/main.ts`: where the bridges are
   * looked for ({@link bridgeEntry}). Default: the real path (symlinks resolved) of `process.argv[1]`.
   */
  cliFile?: string;
  /** The bridge module to load (tests). Default: {@link bridgeEntry} of `cliFile`. */
  entry?: string;
}

/**
 * The compiled entry of a platform's bridge, found relative to the CLI's real file (never relative to the command
 * that ran it: npm's `node_modules/.bin/agentd` is a symlink to `bin/agentd.cjs`, which loads the CLI):
 * `dist/bundle/src/cli/main.js` → `dist/bundle/bridges/<platform>/main.js` (the same for the unbundled
 * `dist/src/cli/main.js`).
 */
export function bridgeEntry(platform: string, cliFile: string): string {
  return join(dirname(resolve(cliFile)), "..", "..", "bridges", platform, "main.js");
}

/** The real path of the script Node was started with (`process.argv[1]`), symlinks resolved; "" when unknown. */
function realArgv1(): string {
  const argv1 = process.argv[1];
  if (!argv1) return "";
  try {
    return realpathSync(argv1);
  } catch {
    return resolve(argv1);
  }
}

/**
 * `agentd bridge <platform> DIR` or `agentd bridge <platform> --url URL --token T [DIR]`: loads the agent config
 * (when a folder is given; its .env too) and runs the platform's bridge in this process until it stops.
 * When the daemon supervises it (`AGENTD_BRIDGE_SUPERVISED=1`), the bridge exits as soon as its stdin (a pipe from
 * the daemon) closes, so it never outlives a daemon that died.
 * Resolves when the bridge has stopped (the caller exits then). Throws `bad_request` for an unknown platform or
 * missing target, `ConfigError` (exit 78: the supervisor does not restart it) for a bad agent config or when the
 * bridge rejects with `exitCode: 78` (no or refused bot token), `not_found` when the bridge is not built.
 * WhatsApp's bridge is the separate GPL package `agentd-whatsapp` ({@link resolveWhatsAppPackage}); when it is not
 * installed this throws a `ConfigError` on `channels.whatsapp` (or `not_found` without a folder) whose message is the
 * exact install command ({@link whatsAppPackageProblem}).
 */
export async function bridgeCommand(opts: BridgeCommandOptions): Promise<void> {
  const { platform } = opts;
  if (!isPlatform(platform)) throw new AgentdError("bad_request", `unknown platform "${platform}": use ${PLATFORMS.join(", ")}`);
  if (!opts.agentDir && !opts.url) throw new AgentdError("bad_request", `usage: agentd bridge ${platform} DIR | --url URL --token T`);
  const config = opts.agentDir ? loadConfig(opts.agentDir).channels[platform] : undefined;
  const cliFile = opts.cliFile ?? realArgv1();
  const entry = opts.entry ?? (platform === "whatsapp" ? whatsAppEntry(cliFile, opts.agentDir) : bridgeEntry(platform, cliFile));
  if (!existsSync(entry)) throw new AgentdError("not_found", `the ${platform} bridge is not built: ${entry} is missing`);
  // before loading the bridge: its dependencies raise deprecation warnings as they load
  if (process.env.AGENTD_BRIDGE_SUPERVISED === "1") routeProcessWarnings();
  const mod = (await import(pathToFileURL(entry).href)) as Partial<BridgeModule>;
  if (typeof mod.runBridge !== "function") throw new AgentdError("internal", `${entry} does not export runBridge()`);
  if (process.env.AGENTD_BRIDGE_SUPERVISED === "1") exitWhenParentGoes();
  try {
    await mod.runBridge({
      // with --url the folder (if given) still holds the bridge's own state (WhatsApp's login)
      ...(opts.agentDir ? { agentDir: opts.agentDir } : {}),
      ...(opts.url ? { url: opts.url, ...(opts.token ? { token: opts.token } : {}) } : {}),
      ...(config ? { config } : {}),
    });
  } catch (err) {
    // a bridge reports an unusable config (missing or refused bot token…) with `exitCode` 78: keep that exit code,
    // so the daemon's supervisor does not restart it in a loop
    if ((err as { exitCode?: unknown } | null)?.exitCode === EXIT_CONFIG) {
      const file = opts.agentDir ? join(resolve(opts.agentDir), CONFIG_FILE) : "(no agent folder)";
      throw new ConfigError(file, `channels.${platform}`, err instanceof Error ? err.message : String(err));
    }
    throw err;
  }
}

/**
 * The installed WhatsApp bridge package's entry for the CLI `cliFile`. Throws a one-line error naming the install
 * command when it is missing: a `ConfigError` on `channels.whatsapp` when `agentDir` is given (exit 78, so the
 * daemon's supervisor does not restart it in a loop), else `not_found`. A different version only warns on stderr.
 */
function whatsAppEntry(cliFile: string, agentDir: string | undefined): string {
  const root = packageRootOf(cliFile);
  const entry = resolveWhatsAppPackage(root);
  const problem = whatsAppPackageProblem(root, VERSION);
  if (entry) {
    if (problem) process.stderr.write(`agentd: warning: ${problem.message}: install the same version with: ${problem.command}\n`);
    return entry;
  }
  const reason = `${problem!.message}. Install it with: ${problem!.command}`;
  if (agentDir) throw new ConfigError(join(resolve(agentDir), CONFIG_FILE), "channels.whatsapp", reason);
  throw new AgentdError("not_found", reason);
}

/** Exits when stdin (the supervisor's pipe) ends; stdin does not keep the process alive by itself. */
function exitWhenParentGoes(): void {
  const stdin = process.stdin as unknown as Socket;
  stdin.on("end", () => process.exit(0));
  stdin.on("error", () => process.exit(0));
  stdin.resume();
  stdin.unref?.();
}
