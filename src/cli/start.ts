import { resolve } from "node:path";
import { missingApiKeys } from "../config/api-key-source.js";
import { CONFIG_FILE } from "../config/load.js";
import { startDaemon, type Daemon } from "../daemon.js";

/**
 * Starts the daemon again after a stop for `POST /api/restart`: with agentd.yaml as it is now, or, when that
 * cannot start (an invalid file, a host that does not resolve or is not this machine's, no port to listen on),
 * with the config the stopped daemon ran with, logging why at level error (issue 17, item 3): the agent stays up.
 * Throws only when the last good config cannot start either (e.g. another daemon took the folder meanwhile).
 */
async function restartInPlace(dir: string, previous: Daemon): Promise<Daemon> {
  try {
    return await startDaemon(dir, { port: previous.port });
  } catch (err) {
    const daemon = await startDaemon(dir, { port: previous.port, config: previous.lastGoodConfig() });
    const reason = err instanceof Error ? err.message : String(err);
    daemon.logger.error(
      { reason, code: (err as { code?: unknown }).code },
      `restart with ${CONFIG_FILE} failed (${reason}); running with the last good config: fix ${CONFIG_FILE}, then restart again`,
    );
    return daemon;
  }
}

/**
 * Warns, in the log and with one plain line on stderr, about each model the agent would use whose provider's API
 * key is configured but empty (issue 17, item 11): the first chat would fail otherwise with only the provider's
 * 401 text. Names the variable and the file to put it in.
 */
function warnMissingApiKeys(dir: string, daemon: Daemon): void {
  for (const m of missingApiKeys(resolve(dir), daemon.config())) {
    daemon.logger.warn({ model: m.model, provider: m.source.provider, variable: m.source.variable }, m.message);
    process.stderr.write(`agentd: warning: ${m.message}\n`);
  }
}

/**
 * `agentd start DIR`: runs the daemon in the foreground until SIGINT/SIGTERM, then stops gracefully and exits 0.
 * `POST /api/restart` stops it and starts it again in the same process, on the same port when it is free, falling
 * back to the last good config when agentd.yaml cannot start (see `restartInPlace`).
 * Errors propagate to the CLI entry, which prints them without a stack.
 */
export async function startCommand(dir: string): Promise<void> {
  let daemon = await startDaemon(dir);
  warnMissingApiKeys(dir, daemon);
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (++signals > 1) {
      daemon.logger.warn("second signal: exiting now");
      process.exit(130);
    }
    daemon.stop(sig).then(
      () => process.exit(0),
      (err: unknown) => {
        daemon.logger.error({ err }, "error while stopping");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  for (;;) {
    const request = await daemon.stopRequested;
    await daemon.stop(request.reason);
    if (!request.restart) process.exit(0);
    daemon = await restartInPlace(dir, daemon);
    warnMissingApiKeys(dir, daemon);
  }
}
