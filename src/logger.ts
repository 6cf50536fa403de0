import { Writable } from "node:stream";
import pino, { type Logger, type DestinationStream } from "pino";
import { LoggingConfig } from "./config/ops-config.js";
import { openLogDestination } from "./logs/destination.js";
import { sourceMappedErrSerializer } from "./logs/source-mapped-stack.js";

/** Options of {@link createLogger}. `pretty` defaults to whether stdout is a TTY. */
export interface LoggerOptions {
  dir: string;
  level: string;
  /** Rotation of the log files (`logging:` of agentd.yaml); defaults of {@link LoggingConfig} when absent. */
  rotation?: LoggingConfig;
  redact: (line: string) => string;
  pretty?: boolean;
  /** Also write to the terminal (stdout), pretty or JSON; default true. */
  console?: boolean;
  /** More destinations (e.g. the in-memory log buffer); they get redacted JSON lines. */
  extraStreams?: NodeJS.WritableStream[];
}

function redacting(dest: DestinationStream | NodeJS.WritableStream, redact: (s: string) => string): Writable {
  return new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      // a line logged after close (a late timer of a stopped daemon) is dropped, not thrown at the caller
      if ((dest as { destroyed?: boolean }).destroyed) return cb();
      (dest as NodeJS.WritableStream).write(redact(String(chunk)));
      cb();
    },
  });
}

/**
 * The daemon's pino logger: JSON lines to the rotating `DIR/logs/agentd.log` ({@link openLogDestination}) and, on a TTY, human-readable lines
 * (pino-pretty, loaded only then). Off a TTY (a supervisor, a test) JSON lines also go to stdout.
 * Every line passes through `redact`, so secrets never reach a log. Keys named like secrets are censored too.
 * `close()` writes out and closes the log file (lines logged after it are dropped); call it once, at stop.
 */
export async function createLogger(opts: LoggerOptions): Promise<{ logger: Logger; close: () => Promise<void> }> {
  const { stream: file } = await openLogDestination(opts.dir, opts.rotation ?? LoggingConfig.parse({}));
  const streams: pino.StreamEntry[] = [{ level: opts.level as pino.Level, stream: redacting(file, opts.redact) }];
  const pretty = opts.pretty ?? process.stdout.isTTY === true;
  if (opts.console === false) {
    // the log file only
  } else if (pretty) {
    const { default: pinoPretty } = await import("pino-pretty");
    streams.push({ level: opts.level as pino.Level, stream: redacting(pinoPretty({ colorize: true, ignore: "pid,hostname", translateTime: "HH:MM:ss" }), opts.redact) });
  } else {
    streams.push({ level: opts.level as pino.Level, stream: redacting(process.stdout, opts.redact) });
  }
  for (const extra of opts.extraStreams ?? []) streams.push({ level: opts.level as pino.Level, stream: redacting(extra, opts.redact) });
  const logger = pino(
    {
      level: opts.level,
      base: { pid: process.pid },
      // an error's stack names src/…ts lines (the bundle's source maps, read only when an error is logged)
      serializers: { err: sourceMappedErrSerializer(pino.stdSerializers.err) },
      redact: { paths: ["token", "apiKey", "authorization", "*.token", "*.apiKey", "*.authorization", "headers.*"], censor: "[redacted]" },
    },
    pino.multistream(streams),
  );
  return { logger, close: () => closeDestination(file) };
}

/**
 * Writes out and closes the log file once it is open (sonic-boom opens it asynchronously and throws "sonic boom is
 * not ready yet" from a flush before that, e.g. in pino's exit hook when a start fails at once). Closing also
 * removes pino's exit hook for it, so a daemon restarted in place keeps no file descriptor of its earlier runs.
 */
function closeDestination(file: NodeJS.WritableStream & { end(): void }): Promise<void> {
  if ((file as unknown as { destroyed: boolean }).destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    file.once("close", () => resolve());
    file.once("error", () => resolve());
    file.end(); // waits for the file to be open
  });
}
