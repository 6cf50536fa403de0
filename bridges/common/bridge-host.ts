/**
 * The process plumbing every bridge shares (issue 6): the options `agentd bridge <platform> DIR` passes, a pino
 * logger that never prints a secret, the daemon connection (agent folder or URL + token, reconnecting with
 * backoff), and waiting for SIGINT/SIGTERM or an abort signal.
 */
import { Writable } from "node:stream";
import { pino, type Logger } from "pino";
import { AgentdClient } from "../../protocol/client.js";
import type { Endpoint } from "../../protocol/endpoint.js";
import type { BridgeLogger } from "./bridge-logger.js";

/** EX_CONFIG from sysexits.h: the exit code for a bridge that cannot work with its configuration. */
export const BRIDGE_EXIT_CONFIG = 78;

/**
 * A bridge cannot run as configured (no or refused bot token, a privileged intent not enabled, WhatsApp logged
 * out, an invalid config section): restarting will not help until a person acts. `exitCode` is
 * {@link BRIDGE_EXIT_CONFIG} so a supervisor does not restart the process; the message says what to do.
 */
export class BridgeConfigError extends Error {
  readonly exitCode = BRIDGE_EXIT_CONFIG;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "BridgeConfigError";
  }
}

/**
 * What starts a bridge: the agent folder (port from `DIR/.port`, token from `DIR/.env`) or `url` + `token` of a
 * daemon on another machine, and `config`, the agent's `channels.<platform>` section (validated by each bridge).
 * `logger` replaces the default JSON logger on stdout; `signal` stops the bridge (as SIGINT/SIGTERM do).
 */
export interface BridgeOptions {
  agentDir?: string;
  url?: string;
  token?: string;
  config?: unknown;
  logger?: Logger;
  signal?: AbortSignal;
}

/**
 * A pino logger for a bridge process: JSON lines on stdout, `name: "bridge-<platform>"`, level from
 * `AGENTD_LOG_LEVEL` (default `info`). Every line has each string of `secrets` (bot tokens; strings shorter than
 * 8 characters are ignored) replaced by `[redacted]`, since HTTP errors can quote request URLs.
 */
export function createBridgeLogger(platform: string, secrets: ReadonlyArray<string | undefined> = []): Logger {
  const hidden = secrets.filter((s): s is string => typeof s === "string" && s.length >= 8);
  const out = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      let line = String(chunk);
      for (const s of hidden) line = line.split(s).join("[redacted]");
      process.stdout.write(line, () => cb());
    },
  });
  return pino(
    {
      name: `bridge-${platform}`,
      level: process.env.AGENTD_LOG_LEVEL ?? "info",
      redact: { paths: ["token", "botToken", "authorization", "*.token", "*.authorization"], censor: "[redacted]" },
    },
    out,
  );
}

/** The daemon connection of a bridge; see {@link connectDaemon}. */
export interface DaemonLink {
  client: AgentdClient;
  /**
   * The daemon's endpoint for REST calls with the token (uploads): the one of the current connection, whose
   * server proved in the handshake that it holds the token (waits for it). Never a bare `.port` read: after a
   * crash another program may own that port.
   */
  endpoint: () => Promise<Endpoint>;
}

/**
 * Creates the protocol client of a bridge and starts connecting without waiting: messages sent before the daemon
 * answers (or while it restarts) queue in the client and go out, with their idempotency keys, once it is back.
 * Connection changes are logged. Throws `Error` at once when neither `agentDir` nor `url` is given.
 */
export function connectDaemon(opts: BridgeOptions, platform: string, logger: BridgeLogger): DaemonLink {
  if (!opts.agentDir && !opts.url) throw new Error("a bridge needs the agent folder or --url and --token");
  const target = {
    ...(opts.agentDir !== undefined ? { agentDir: opts.agentDir } : {}),
    ...(opts.url !== undefined ? { url: opts.url } : {}),
    ...(opts.token !== undefined ? { token: opts.token } : {}),
  };
  const client = new AgentdClient({ ...target, clientName: `agentd-bridge-${platform}`, requestTimeoutMs: 60_000 });
  // one warning per outage, not one per retry
  let reachable: boolean | undefined;
  client.onState((state, err) => {
    if (state === "open") {
      reachable = true;
      logger.info({ agent: client.info?.agent.name }, "connected to the agent");
    } else if (state === "reconnecting") {
      if (reachable !== false) logger.warn({ err: err?.message }, "agent unreachable; messages wait for it and go out once it is back");
      else logger.debug({ err: err?.message }, "agent still unreachable, retrying");
      reachable = false;
    }
  });
  client.connect().catch(() => {
    /* reported by the state listener above; the client keeps retrying */
  });
  return { client, endpoint: () => client.verifiedEndpoint() };
}

/**
 * Resolves with the reason once the process gets SIGINT or SIGTERM or any of `signals` aborts, whichever comes
 * first; every listener is removed then (abort one of `signals` to stop waiting, so SIGINT is not swallowed).
 */
export function untilStopped(signals: ReadonlyArray<AbortSignal | undefined> = []): Promise<string> {
  const list = signals.filter((s): s is AbortSignal => s !== undefined);
  return new Promise((resolve) => {
    const done = (reason: string): void => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      for (const s of list) s.removeEventListener("abort", onAbort);
      resolve(reason);
    };
    const onInt = (): void => done("SIGINT");
    const onTerm = (): void => done("SIGTERM");
    const onAbort = (): void => done("aborted");
    if (list.some((s) => s.aborted)) return done("aborted");
    process.once("SIGINT", onInt);
    process.once("SIGTERM", onTerm);
    for (const s of list) s.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Parses a bridge's config section with `schema`, turning a failure into one readable {@link BridgeConfigError}
 * (`telegram config: botToken: Invalid input`), never a stack of zod issues.
 */
export function parseBridgeConfig<T>(platform: string, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }> } } }, value: unknown): T {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new BridgeConfigError(`${platform} config: ${issue ? `${issue.path.map(String).join(".") || "(section)"}: ${issue.message}` : "invalid"}`);
}
