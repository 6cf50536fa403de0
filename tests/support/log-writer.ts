// Writes N bytes of log lines into an agent folder's logs/ through the daemon's own logger (src/logger.ts: the same
// pino-roll destination and rotation settings from agentd.yaml `logging:`), as fast as the file stream takes them.
// Usage: node dist/tests/support/log-writer.js DIR BYTES. Prints {"lines":…,"bytes":…,"ms":…} when done.
import { performance } from "node:perf_hooks";
import { loadConfig } from "../../src/config/load.js";
import { createLogger } from "../../src/logger.js";

const [dir, bytesArg] = process.argv.slice(2);
const total = Number(bytesArg);
if (!dir || !Number.isFinite(total)) throw new Error("usage: log-writer DIR BYTES");
const cfg = loadConfig(dir);
const { logger, close } = await createLogger({ dir, level: "info", rotation: cfg.logging, redact: (s) => s, console: false });
const filler = "x".repeat(900);
const started = performance.now();
let written = 0;
let lines = 0;
while (written < total) {
  for (let i = 0; i < 500; i++) {
    logger.info({ component: "load", n: lines, filler }, "a log line of about one kilobyte");
    lines++;
  }
  written += 500 * 1024;
  await new Promise((r) => setImmediate(r)); // let the file stream write what it holds
}
await close();
process.stdout.write(`${JSON.stringify({ lines, bytes: written, ms: Math.round(performance.now() - started) })}\n`);
