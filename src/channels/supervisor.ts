import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import type { Logger } from "pino";
import { Backoff } from "../../protocol/backoff.js";

/** How to run one platform's bridge: an executable, its arguments and variables added to the supervisor's `env`. */
export interface BridgeCommand {
  file: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

/** Options of {@link BridgeSupervisor}. Times in milliseconds. */
export interface BridgeSupervisorOptions {
  /** The daemon's logger; each bridge logs through a child tagged `{ component: "bridge", platform }`. */
  logger: Logger;
  /** The command of a platform's bridge (e.g. `node <cli> bridge telegram DIR`). */
  command: (platform: string) => BridgeCommand;
  /** Working directory of the bridges (the agent folder). */
  cwd: string;
  /** Environment of the bridges. Default: the daemon's (`process.env`, .env already loaded). */
  env?: NodeJS.ProcessEnv;
  /** First restart delay. Default 1000. */
  initialDelayMs?: number;
  /** Longest restart delay (the delay doubles after each crash). Default 60 000. */
  maxDelayMs?: number;
  /** A bridge that ran this long before it exited starts over at `initialDelayMs`. Default 60 000. */
  stableMs?: number;
  /** Time between SIGTERM and SIGKILL when stopping. Default 3000. */
  killGraceMs?: number;
}

/** The state of one supervised bridge. */
export interface BridgeStatus {
  platform: string;
  /** `running` (a process is up), `waiting` (restart scheduled), `failed` (exited with a config error; not restarted). */
  state: "running" | "waiting" | "failed";
  pid?: number;
  /** Restarts since the supervisor started it. */
  restarts: number;
}

/** Exit code of a bridge that cannot work with its configuration (EX_CONFIG, as the CLI uses): not restarted. */
export const EXIT_CONFIG = 78;

/** Longest bridge log line kept, in characters (the rest is cut). */
const MAX_LINE_CHARS = 8000;

const PINO_LEVELS: Record<number, "trace" | "debug" | "info" | "warn" | "error" | "fatal"> = { 10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal" };

interface Slot {
  platform: string;
  child?: ChildProcess;
  exited?: Promise<void>;
  timer?: NodeJS.Timeout;
  backoff: Backoff;
  startedAt: number;
  restarts: number;
  failed: boolean;
  log: Logger;
}

/**
 * Runs bridge processes as children of the daemon (issue 6, "every bridge"): each started with a pipe as stdin
 * (it ends when the daemon dies, so a bridge never outlives it), its stdout/stderr lines logged through the
 * daemon's logger (pino JSON lines keep their level and fields), restarted with exponential backoff (1 s doubling
 * to 60 s, reset after 60 s of uptime) whenever it exits, except with exit code {@link EXIT_CONFIG}.
 * `stop` sends SIGTERM and SIGKILL after `killGraceMs`.
 */
export class BridgeSupervisor {
  private readonly slots = new Map<string, Slot>();

  constructor(private readonly opts: BridgeSupervisorOptions) {}

  /** Starts the bridge of `platform` unless it is already supervised. */
  start(platform: string): void {
    if (this.slots.has(platform)) return;
    const slot: Slot = {
      platform, restarts: 0, failed: false, startedAt: 0,
      backoff: new Backoff({ initialMs: this.opts.initialDelayMs ?? 1000, maxMs: this.opts.maxDelayMs ?? 60_000 }),
      log: this.opts.logger.child({ component: "bridge", platform }),
    };
    this.slots.set(platform, slot);
    this.spawn(slot);
  }

  /** The supervised bridges and their state. */
  status(): BridgeStatus[] {
    return [...this.slots.values()].map((s) => ({
      platform: s.platform,
      state: s.failed ? "failed" : s.child ? "running" : "waiting",
      ...(s.child?.pid ? { pid: s.child.pid } : {}),
      restarts: s.restarts,
    }));
  }

  /** Stops one bridge (SIGTERM, SIGKILL after the grace) and forgets it. Never throws. */
  async stopOne(platform: string): Promise<void> {
    const slot = this.slots.get(platform);
    if (!slot) return;
    this.slots.delete(platform);
    clearTimeout(slot.timer);
    const { child, exited } = slot;
    if (!child || !exited) return;
    child.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), this.opts.killGraceMs ?? 3000)));
    const gone = await Promise.race([exited.then(() => true), graceOver]);
    clearTimeout(timer);
    if (!gone) {
      slot.log.warn("bridge did not stop within the grace period; killing it");
      child.kill("SIGKILL");
      await exited;
    }
  }

  /** Stops every bridge. Never throws. */
  async stop(): Promise<void> {
    await Promise.all([...this.slots.keys()].map((p) => this.stopOne(p)));
  }

  private spawn(slot: Slot): void {
    slot.timer = undefined;
    const { file, args, env } = this.opts.command(slot.platform);
    const child = spawn(file, args, { cwd: this.opts.cwd, env: { ...(this.opts.env ?? process.env), ...env }, stdio: ["pipe", "pipe", "pipe"] });
    slot.child = child;
    slot.startedAt = Date.now();
    let settle!: () => void;
    slot.exited = new Promise<void>((r) => (settle = r));
    let ended = false;
    const onEnd = (code: number | null, signal: NodeJS.Signals | null, err?: Error) => {
      if (ended) return;
      ended = true;
      if (slot.child === child) slot.child = undefined;
      settle();
      this.exited(slot, code, signal, err);
    };
    child.on("error", (err) => onEnd(null, null, err));
    child.on("exit", (code, signal) => onEnd(code, signal));
    child.stdin?.on("error", () => {}); // EPIPE once the child is gone
    this.pipeLines(child.stdout, slot.log, "info");
    this.pipeLines(child.stderr, slot.log, "warn");
    slot.log.info({ pid: child.pid }, `${slot.platform} bridge started`);
  }

  private exited(slot: Slot, code: number | null, signal: NodeJS.Signals | null, err?: Error): void {
    if (this.slots.get(slot.platform) !== slot) return; // stopped on purpose
    const upMs = Date.now() - slot.startedAt;
    const why = err ? `could not start (${err.message})` : signal ? `was killed by ${signal}` : `exited with code ${code}`;
    if (code === EXIT_CONFIG) {
      slot.failed = true;
      slot.log.error({ code }, `${slot.platform} bridge ${why}: its configuration is not usable; not restarting it (fix channels.${slot.platform} and restart the agent)`);
      return;
    }
    if (upMs >= (this.opts.stableMs ?? 60_000)) slot.backoff.reset();
    const delayMs = slot.backoff.next();
    slot.log.warn({ code, signal, upMs, delayMs }, `${slot.platform} bridge ${why}; restarting in ${Math.round(delayMs / 100) / 10} s`);
    slot.timer = setTimeout(() => {
      if (this.slots.get(slot.platform) !== slot) return;
      slot.restarts++;
      this.spawn(slot);
    }, delayMs);
  }

  private pipeLines(stream: NodeJS.ReadableStream | null, log: Logger, fallback: "info" | "warn"): void {
    if (!stream) return;
    const rl = createInterface({ input: stream, crlfDelay: Infinity });
    rl.on("line", (raw) => {
      const line = raw.length > MAX_LINE_CHARS ? `${raw.slice(0, MAX_LINE_CHARS)}…` : raw;
      if (!line.trim()) return;
      const parsed = parsePinoLine(line);
      if (parsed) log[parsed.level](parsed.fields, parsed.msg);
      else log[fallback](line);
    });
  }
}

/** A pino JSON line of a bridge: its level name, message and other fields (time, pid, hostname, component, platform dropped). */
export function parsePinoLine(line: string): { level: "trace" | "debug" | "info" | "warn" | "error" | "fatal"; msg: string; fields: Record<string, unknown> } | undefined {
  if (!line.startsWith("{")) return undefined;
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!obj || typeof obj !== "object" || Array.isArray(obj)) return undefined;
  const { level, msg, time: _t, pid: _p, hostname: _h, component: _c, platform: _pl, ...fields } = obj as Record<string, unknown>;
  const name = typeof level === "number" ? PINO_LEVELS[level] : typeof level === "string" && Object.values(PINO_LEVELS).includes(level as "info") ? (level as "info") : undefined;
  if (!name) return undefined;
  return { level: name, msg: typeof msg === "string" ? msg : "", fields };
}
