import { resolve } from "node:path";
import { missingApiKeys } from "../config/api-key-source.js";
import { startDaemon, type Daemon } from "../daemon.js";

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
 * `POST /api/restart` stops it and starts it again in the same process, on the same port when it is free.
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
    daemon = await startDaemon(dir, { port: daemon.port });
    warnMissingApiKeys(dir, daemon);
  }
}
