import type { Logger } from "pino";
import type { ConfigStore } from "./config/config-store.js";
import type { Store } from "./store/store.js";
import type { Runner } from "./agent/runner.js";
import type { ProviderPool } from "./agent/provider.js";
import type { Tool } from "./agent/tools/tool.js";
import type { MethodRegistry } from "./gateway/method-registry.js";
import type { Router, RouteSpec } from "./gateway/router.js";
import type { methods } from "../protocol/methods.js";
import type { RunDeps } from "./agent/run-loop.js";
import type { CommandHandler } from "./agent/runner.js";
import type { LogBuffer } from "./log-buffer.js";
import type { Outbox } from "./deliveries/outbox.js";
import type { ApprovalService } from "./approvals/service.js";
import type { TokenService } from "./tokens/token-service.js";
import type { Scope } from "../protocol/scopes.js";

/**
 * Hooks features set to take part in every run: pricing, compaction, chat commands/access policy, and
 * listeners of run ends (titles, metrics). Read at each run, so they can be set after the runner exists.
 */
export interface RunHooks {
  price?: RunDeps["price"];
  compact?: RunDeps["compact"];
  command?: CommandHandler;
  onEnd: Array<NonNullable<RunDeps["onEnd"]>>;
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
  hooks: RunHooks;
  logBuffer: LogBuffer;
  /** Every declared REST route (for the OpenAPI document); filled once the gateway is built. */
  routes(): RouteSpec[];
  /** Open WebSocket connections. */
  openConnections(): number;
  /** Asks the CLI to stop the daemon (and start it again when `restart` is true). */
  requestStop(opts: { restart: boolean; reason: string }): void;
}

/**
 * One concern of the daemon (vault, MCP, usage, channels, operations…) plugged into the core: its protocol
 * handlers, REST routes (mounted behind the token), tools for the agent, and start/stop hooks.
 * `start` runs after the port is open and must not block on slow work; `stop` runs in reverse order.
 */
export interface Feature {
  name: string;
  handlers?(registry: MethodRegistry<typeof methods>): void;
  /**
   * Declares the REST routes that are not a protocol method's (uploads, metrics, webhooks…), behind the token
   * unless a spec says `public`; they appear in the OpenAPI document. A method's REST route comes from the
   * `rest` mapping of its declaration and is mounted here by the gateway, beside the feature's other routes.
   */
  routes?(router: Router): void;
  tools?(): Tool[];
  start?(): void | Promise<void>;
  stop?(): Promise<void>;
}

/** Builds a feature from the daemon context. */
export type FeatureFactory = (ctx: DaemonContext) => Feature;
