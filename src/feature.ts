import type { Logger } from "pino";
import type { ConfigStore } from "./config/config-store.js";
import type { Store } from "./store/store.js";
import type { Runner } from "./agent/runner.js";
import type { ProviderPool } from "./agent/provider.js";
import type { Tool } from "./agent/tools/tool.js";
import type { Handlers } from "./handlers.js";
import type { Metrics } from "./observability/metrics.js";
import type { ConfigWriter } from "./config/config-writer.js";
import type { RunDeps } from "./agent/run-loop.js";
import type { CommandHandler } from "./agent/runner.js";
import type { LogBuffer } from "./log-buffer.js";
import type { Outbox } from "./deliveries/outbox.js";
import type { ApprovalService } from "./approvals/service.js";
import type { TokenService } from "./tokens/token-service.js";
import type { Scope } from "../protocol/scopes.js";

/**
 * What a feature adds to every run: pricing, compaction, the chat commands/access policy, and a listener of run
 * ends (titles, metrics, approvals). The daemon composes them once, at start: at most one feature provides each of
 * `price`, `compact` and `command` (a second is a start-up error), and `onRunEnd` listeners are called in the
 * order of FEATURES (src/features.ts).
 */
export interface RunHooks {
  price?: RunDeps["price"];
  compact?: RunDeps["compact"];
  command?: CommandHandler;
  onRunEnd?: NonNullable<RunDeps["onEnd"]>;
}

/**
 * Services a feature provides for the gateway's REST-only routes (src/gateway/routes/): `/metrics` reads
 * `metrics`, the config routes write through `configWriter`. At most one feature provides each (a second is a
 * start-up error).
 */
export interface Services {
  metrics: Pick<Metrics, "render" | "contentType">;
  configWriter: ConfigWriter;
}

/** What every feature of the daemon can use. `port()` is 0 until the gateway listens. */
export interface DaemonContext {
  dir: string;
  config: ConfigStore;
  store: Store;
  logger: Logger;
  redact: (text: string) => string;
  runner: Runner;
  /** The outbox (issue 11): every message for a chat goes through `outbox.enqueue` before any bridge sees it. */
  outbox: Outbox;
  /** Approval requests of tool calls (issue 13): the run loop's gate, answered from every surface. */
  approvals: ApprovalService;
  pool: ProviderPool;
  version: string;
  startedAt: number;
  /** The owner token (`AGENTD_TOKEN`, scope `admin`). */
  token: string;
  /** The named tokens (issue 15): create, list, revoke, look up. */
  tokens: TokenService;
  /** Mints a token held in memory for this run of the daemon only (e.g. a bridge's `bridge` token); returns it. */
  mintToken(name: string, scopes: readonly Scope[]): string;
  port(): number;
  logBuffer: LogBuffer;
  /** Open WebSocket connections. */
  openConnections(): number;
  /** Asks the CLI to stop the daemon (and start it again when `restart` is true). */
  requestStop(opts: { restart: boolean; reason: string }): void;
}

/**
 * One concern of the daemon (vault, MCP, usage, channels, schedules…) plugged into the core: the handlers of its
 * protocol methods (their REST routes are derived by the gateway from each method's `rest` mapping), tools for
 * the agent, what it adds to every run (`runHooks`), the services it provides to the gateway's REST-only routes
 * (`provides`), and start/stop hooks. A feature knows operations, never HTTP: it imports nothing of src/gateway.
 * `start` runs after the port is open and must not block on slow work; `stop` runs in reverse order.
 */
export interface Feature {
  name: string;
  handlers?(registry: Handlers): void;
  tools?(): Tool[];
  runHooks?: RunHooks;
  provides?: Partial<Services>;
  start?(): void | Promise<void>;
  stop?(): Promise<void>;
}

/** Builds a feature from the daemon context. */
export type FeatureFactory = (ctx: DaemonContext) => Feature;
