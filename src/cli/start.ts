import { startDaemon } from "../daemon.js";

/**
 * `agentd start DIR`: runs the daemon in the foreground until SIGINT/SIGTERM, then stops gracefully and exits 0.
 * `POST /api/restart` stops it and starts it again in the same process, on the same port when it is free.
 * Errors propagate to the CLI entry, which prints them without a stack.
 */
export async function startCommand(dir: string): Promise<void> {
  let daemon = await startDaemon(dir);
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
  }
}
