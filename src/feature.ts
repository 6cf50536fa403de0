import type { Logger } from "pino";
import type { ConfigStore } from "./config/config-store.js";
import type { Store } from "./store/store.js";
import type { Runner } from "./agent/runner.js";
import type { ProviderPool } from "./agent/provider.js";
import type { Tool } from "./agent/tools/tool.js";
import type { z } from "zod";
import type { MethodSpec } from "../protocol/method-spec.js";
import type { methods } from "../protocol/methods.js";
import type { RunSubscriber } from "./agent/run-handle.js";
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
 * Who is calling: the token's name, scopes and kind (see `TokenEntry` in src/gateway/token-keys.ts). Every call
 * into the daemon's operations carries one (REST, WebSocket, `/v1`, `/mcp`).
 */
export interface Principal {
  name: string;
  scopes: readonly Scope[];
  kind: "owner" | "token" | "bridge";
}

/** Per-call context: who is calling (`principal`, checked against the method's scope), over what, and where run events go. */
export interface CallContext {
  subscriber?: RunSubscriber;
  transport: "ws" | "rest" | "openai" | "mcp";
  principal: Principal;
  /** Aborts when the caller's connection closes (WebSocket calls): ends what the call started (delivery subscriptions). */
  signal?: AbortSignal;
}

/** Method specs by name (protocol/methods.ts). */
export type Specs = Record<string, MethodSpec>;

/** A handler for method `M` of `S`: gets validated params (defaults applied) and returns the result. */
export type Handler<S extends Specs, M extends keyof S> = (
  params: z.output<S[M]["params"]>,
  ctx: CallContext,
) => z.input<S[M]["result"]> | Promise<z.input<S[M]["result"]>>;

/**
 * What a feature sees of the daemon's method table: a place to register the handler of each protocol method it
 * serves. Declared here, outside src/gateway, so features know operations and not transports; the gateway's
 * `MethodRegistry` implements it and derives the WebSocket dispatch and the REST routes from the same table.
 */
export interface Handlers<S extends Specs = typeof methods> {
  /** Registers the handler of method `name`. */
  on<M extends keyof S & string>(name: M, handler: Handler<S, M>): this;
}

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
