import { randomBytes } from "node:crypto";
import { appendFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Logger } from "pino";
import { loadConfig, loadDotenv } from "./config/load.js";
import type { Config } from "./config/schema.js";
import { ConfigStore, LIVE_SECTIONS } from "./config/config-store.js";
import { AgentdError, NotFoundError } from "./errors.js";
import { acquireLock } from "./lifecycle/lock.js";
import { createLogger } from "./logger.js";
import { LogBuffer } from "./log-buffer.js";
import { createRedactor } from "./redact.js";
import { Store } from "./store/store.js";
import { VERSION } from "./version.js";
import { ProviderPool } from "./agent/provider.js";
import { RunScheduler } from "./agent/run-scheduler.js";
import { releaseMemory } from "./memory.js";
import { MAX_RUN_RESUMES, Runner, type SendParams } from "./agent/runner.js";
import { userErrorLine } from "../protocol/user-error.js";
import { applyToolPolicy } from "./agent/tools/policy.js";
import { ApprovalService } from "./approvals/service.js";
import { methods } from "../protocol/methods.js";
import { PROTOCOL_VERSION } from "../protocol/version.js";
import { MethodRegistry } from "./gateway/method-registry.js";
import { registerCoreHandlers } from "./gateway/core-handlers.js";
import { createRestApp } from "./gateway/rest.js";
import { mountMethodRoutes } from "./gateway/method-routes.js";
import type { Router } from "./gateway/router.js";
import { receiveChatForm } from "./gateway/routes/uploads.js";
import { REST_ROUTES } from "./gateway/routes/rest-only.js";
import { WebSessions } from "./gateway/web-auth.js";
import { boundHosts } from "./gateway/origin-check.js";
import { startGateway, type Gateway } from "./gateway/server.js";
import { writePortFile, removePortFile } from "./lifecycle/port-file.js";
import type { DaemonContext, Feature } from "./feature.js";
import { FEATURES, composeFeatures, type ComposedRunHooks } from "./features.js";
import { signedHookPaths } from "./hooks/webhooks.js";
import { Outbox } from "./deliveries/outbox.js";
import { deliverRunReply } from "./deliveries/run-reply.js";
import { TokenService } from "./tokens/token-service.js";
import { KeyRing } from "./gateway/key-ring.js";
import { ownerTokenKeys } from "./gateway/token-keys.js";
import { mountIntegrations, integrationErrorShapes } from "./gateway/integrations.js";
import { speakReply, wantsVoice } from "./deliveries/voice-reply.js";

/** A running daemon: its port, config and a way to stop it. `stopped` resolves with the reason of the stop. */
export interface Daemon {
  port: number;
  config: () => Config;
  logger: Logger;
  /** Graceful stop: stop accepting, give runs `server.shutdownGraceMs`, close clients, remove `.port`, release the lock. */
  stop(reason?: string): Promise<void>;
  /** Resolves when a feature asked for a stop (`POST /api/restart` sets `restart: true`). */
  stopRequested: Promise<{ restart: boolean; reason: string }>;
  /**
   * The config this daemon really runs with: the one in force, except that the sections applied only at start
   * (`server`, `name`, `logging`: not in `LIVE_SECTIONS`) are those it started with. What a restart in place falls
   * back to when agentd.yaml cannot start (src/cli/start.ts).
   */
  lastGoodConfig(): Config;
}

/** CPU time of this process so far (user + system, all threads), in whole ms: the start-up's cost, which a loaded machine moves far less than its wall time. */
const processCpuMs = (): number => {
  const { user, system } = process.cpuUsage();
  return Math.round((user + system) / 1000);
};

const isLoopback = (host: string) => host === "127.0.0.1" || host === "::1" || host === "localhost" || host.startsWith("127.");

/** Ensures a token: `AGENTD_TOKEN` from the environment/.env; on a loopback bind a missing one is created in `.env`. */
function ensureToken(dir: string, host: string): string {
  const existing = process.env.AGENTD_TOKEN;
  if (existing) return existing;
  if (!isLoopback(host)) {
    throw new AgentdError("unauthorized", `refusing to listen on ${host} without a token: set AGENTD_TOKEN in ${join(dir, ".env")}`);
  }
  const token = randomBytes(32).toString("base64url");
  appendFileSync(join(dir, ".env"), `\nAGENTD_TOKEN=${token}\n`, { mode: 0o600 });
  process.env.AGENTD_TOKEN = token;
  return token;
}

/**
 * Starts the daemon of an agent folder: config (.env first), lock, store, runner, features, one port for REST
 * and WebSocket, then `.port`. Throws `ConfigError` for a bad config, a `conflict` AgentdError when another
 * daemon holds the folder, `unavailable` when no port of the range is free, the system's error when the host
 * cannot be listened on. `port` overrides the preferred port; `config` the one in agentd.yaml (`.env` is still
 * loaded), for a restart that falls back to the last good config. The log file is closed again when it throws.
 */
export async function startDaemon(dirArg: string, opts: { pretty?: boolean; port?: number; config?: Config } = {}): Promise<Daemon> {
  const startedAt = Date.now();
  const dir = resolve(dirArg);
  if (opts.config) loadDotenv(dir);
  const config = new ConfigStore(opts.config ?? loadConfig(dir));
  const release = acquireLock(dir);
  let store: Store | undefined;
  let closeLog: (() => Promise<void>) | undefined;
  try {
    const cfg = config.get();
    const token = ensureToken(dir, cfg.server.host);
    const redact = createRedactor(() => secretsOf(config.get(), token));
    const logBuffer = new LogBuffer();
    const { logger, close } = await createLogger({ dir, level: cfg.logging.level, rotation: cfg.logging, redact, extraStreams: [logBuffer.stream], ...(opts.pretty !== undefined ? { pretty: opts.pretty } : {}) });
    closeLog = close;
    store = new Store(join(dir, "agentd.db"));
    const { interrupted, resumable, givenUp } = store.claimInterruptedRuns(MAX_RUN_RESUMES);
    if (interrupted > 0) logger.warn({ interrupted }, `${interrupted} run(s) were interrupted by the last stop; a resend with the same idempotency key runs them again`);
    const db = store;
    const outbox = new Outbox({ store: db, config: () => config.get().deliveries, logger: logger.child({ component: "outbox" }) });
    const reoffered = outbox.recover();
    for (const run of givenUp) {
      logger.error({ runId: run.id, resumes: run.resumes }, `run ${run.id} was interrupted by a stop ${run.resumes + 1} times; giving up on it`);
      db.transaction(() => deliverRunReply(outbox, { id: run.id, deliverTo: run.deliverTo ?? [] }, userErrorLine({ code: "internal" })));
    }
    if (reoffered > 0) logger.info({ deliveries: reoffered }, `${reoffered} delivery(ies) offered before the last stop were never acknowledged; offering them again`);
    const pool = new ProviderPool(() => config.get(), dir);
    const approvals = new ApprovalService({ store: db, outbox, config: () => config.get().tools.approval, ownerChats: () => config.get().owner.chats, logger: logger.child({ component: "approvals" }) });
    // the features' run hooks, composed once the features exist (below), before any run can start
    let hooks: ComposedRunHooks | undefined;
    const features: Feature[] = [];
    // idle after a burst of runs: the sessions' context rows held in memory go, then the heap is given back
    const scheduler = new RunScheduler({ maxRuns: () => config.get().agent.maxConcurrentRuns, onIdle: () => (db.forgetCachedContexts(), releaseMemory()) });
    const runner = new Runner({
      dir, store: db, config: () => config.get(), pool, logger: logger.child({ component: "agent" }), redact,
      tools: () => applyToolPolicy(features.flatMap((f) => f.tools?.() ?? []), config.get().tools),
      price: (m, u) => hooks?.price?.(m, u) ?? null,
      compact: (sessionId, model, signal, loaded) => (hooks?.compact ? hooks.compact(sessionId, model, signal, loaded) : Promise.resolve(false)),
      approve: (handle, call, args, onWait) => approvals.gate(handle, call, args, onWait),
      scheduler,
      onEnd: (info) => hooks?.onRunEnd(info),
      command: () => hooks?.command,
      deliver: (handle, text, voice) => deliverRunReply(outbox, { id: handle.id, deliverTo: handle.deliverTo, silentReply: handle.silentReply }, text,
        voice ? { attachment: voice, wantsVoice: (a) => wantsVoice(config.get(), a, handle.voiceIn) } : undefined),
      speak: (handle, text) => speakReply({ dir, config: () => config.get(), pool, logger }, { id: handle.id, deliverTo: handle.deliverTo, voiceIn: handle.voiceIn, silentReply: handle.silentReply }, text),
      replyFiles: (runId) => outbox.takeRunFiles(runId),
      resolveSession: (p) => resolveSession(db, p),
    });
    let gateway: Gateway | undefined;
    let requestStop!: (r: { restart: boolean; reason: string }) => void;
    const stopRequested = new Promise<{ restart: boolean; reason: string }>((r) => (requestStop = r));
    const tokens = new TokenService(db.tokens);
    // the one token lookup of the gateway (REST bearer, /v1, /mcp and the WebSocket handshake), CONTRACTS.md A
    const keys = new KeyRing(ownerTokenKeys(() => token), tokens);
    const ctx: DaemonContext = {
      dir, config, store: db, logger, redact, runner, outbox, approvals, pool, version: VERSION, logBuffer, tokens,
      mintToken: (name, scopes) => keys.mint(name, scopes),
      port: () => gateway?.port ?? 0,
      openConnections: () => gateway?.wss.clients.size ?? 0,
      requestStop: (r) => requestStop(r),
    };
    for (const factory of FEATURES) features.push(factory(ctx));
    const { runHooks, services } = composeFeatures(features);
    hooks = runHooks;
    // REST-only routes follow the method routes of a feature (gateway/routes/rest-only.ts): none may be lost to a rename
    for (const name of Object.keys(REST_ROUTES)) if (!features.some((f) => f.name === name)) throw new AgentdError("internal", `REST routes follow an unknown feature ${name}`);

    const registry = new MethodRegistry(methods);
    registerCoreHandlers(registry, {
      runner, store: db,
      agentInfo: () => ({ name: config.get().name, dir, port: ctx.port(), version: VERSION, model: config.get().model, protocol: PROTOCOL_VERSION, pid: process.pid, uptimeMs: Date.now() - startedAt }),
    });
    const coreMethods = registry.names();
    // each feature's methods, so their REST routes mount where the feature's other routes do
    const featureMethods = features.map((f) => {
      const before = new Set(registry.names());
      f.handlers?.(registry);
      return registry.names().filter((n) => !before.has(n));
    });
    const gwLogger = logger.child({ component: "gateway" });
    // browsers signed in to the web app (in memory: a restart signs them out)
    const webSessions = new WebSessions();
    const { app } = createRestApp({
      keys, version: VERSION, startedAt, registry, coreMethods, logger: gwLogger, maxBodyBytes: cfg.server.maxBodyBytes,
      extend: [
        ...features.map((f, i) => (router: Router) => {
          mountMethodRoutes(router, registry, featureMethods[i]!);
          for (const mount of REST_ROUTES[f.name] ?? []) mount(router, ctx, services);
        }),
        (router) => mountIntegrations(router, { registry, store: db, config: () => config.get(), version: VERSION, startedAt, logger: gwLogger }),
      ],
      errorShapes: integrationErrorShapes,
      web: { sessions: webSessions, port: () => ctx.port(), bound: () => boundHosts(cfg.server.host, ctx.port()) },
      publicPaths: () => [
        ...(config.get().metrics.public ? [{ path: "/metrics", scopes: ["read" as const] }] : []),
        ...signedHookPaths(config.get().hooks).map((path) => ({ path, scopes: ["chat" as const] })),
      ],
      chatForm: (req) => receiveChatForm(req, ctx),
    });
    gateway = await startGateway({
      app, port: opts.port ?? cfg.server.port, host: cfg.server.host, maxFrameBytes: cfg.server.maxFrameBytes, logger: gwLogger,
      web: { sessions: webSessions, bound: (p) => boundHosts(cfg.server.host, p) },
      ws: { keys, agentName: cfg.name, version: VERSION, registry, logger: gwLogger, maxFramesPerSecond: cfg.server.maxFramesPerSecond, frameBurst: cfg.server.frameBurst },
    });
    const port = gateway.port;
    writePortFile(dir, port);
    logger.info({ port, host: cfg.server.host, startupMs: Date.now() - startedAt, sinceProcessStartMs: Math.round(performance.now()), cpuMs: processCpuMs() }, `agent ${cfg.name} listening on http://${cfg.server.host}:${port}`);
    for (const f of features) {
      try {
        await f.start?.();
      } catch (err) {
        logger.error({ err, feature: f.name }, `feature ${f.name} failed to start`);
      }
    }

    if (resumable.length > 0) {
      logger.warn({ runs: resumable.length }, `${resumable.length} channel/scheduled run(s) were interrupted by the last stop; running them again`);
      runner.resume(resumable);
    }

    // start-up leaves garbage (config and schema parsing, migrations, the OpenAPI document): collect it once
    // the port is open, rather than carrying it until the first burst of runs. Before that, build what a first
    // turn needs and start-up left unbuilt (each tool's JSON Schema, converted on first read, see defineTool), so
    // neither the first requests nor (unless it comes sooner) the first turn wait for it
    setTimeout(() => {
      for (const f of features) for (const t of f.tools?.() ?? []) void t.inputSchema;
      releaseMemory();
    }, 500).unref();

    let stopping: Promise<void> | undefined;
    const gw = gateway;
    const stop = (reason = "stop") =>
      (stopping ??= (async () => {
        logger.info({ reason }, "stopping");
        await runner.drain(config.get().server.shutdownGraceMs);
        scheduler.stop();
        for (const f of [...features].reverse()) {
          await f.stop?.().catch((err: unknown) => logger.error({ err, feature: f.name }, `feature ${f.name} failed to stop`));
        }
        await gw.close();
        removePortFile(dir, port);
        db.close();
        release();
        logger.info("stopped");
        await close();
      })());
    const lastGoodConfig = (): Config => {
      const now = config.get() as Record<string, unknown>;
      const atStart = cfg as Record<string, unknown>;
      return Object.fromEntries(Object.keys(now).map((k) => [k, LIVE_SECTIONS.has(k) ? now[k] : atStart[k]])) as Config;
    };
    return { port, config: () => config.get(), logger, stop, stopRequested, lastGoodConfig };
  } catch (err) {
    store?.close();
    release();
    await closeLog?.();
    throw err;
  }
}

/** Every secret the daemon knows: the token, provider keys and header values, the search key, exec's env values, bridge tokens, webhook secrets. */
function secretsOf(cfg: Config, token: string): string[] {
  const out = [token];
  for (const p of Object.values(cfg.providers)) {
    if (p.apiKey) out.push(p.apiKey);
    for (const v of Object.values(p.headers ?? {})) out.push(v);
  }
  if (cfg.tools.web_search.apiKey) out.push(cfg.tools.web_search.apiKey);
  out.push(...Object.values(cfg.tools.exec.env));
  for (const ch of Object.values(cfg.channels)) {
    const t = (ch as { botToken?: string } | undefined)?.botToken;
    if (t) out.push(t);
  }
  for (const h of Object.values(cfg.hooks)) if (h.secret) out.push(h.secret);
  return out;
}

/** Resolves the session of a message: the given id, the chat's bound session (created on first use), or a new one. */
function resolveSession(db: Store, p: SendParams): { sessionId: string; preferredModel?: string | undefined } {
  if (p.sessionId) {
    if (!db.sessionHead(p.sessionId)) throw new NotFoundError(`no session ${p.sessionId}`, { sessionId: p.sessionId });
    return { sessionId: p.sessionId };
  }
  if (p.channel) {
    const thread = p.channel.threadId ?? "";
    const b = db.getBinding(p.channel.platform, p.channel.chatId, thread);
    if (b && db.sessionHead(b.sessionId)) return { sessionId: b.sessionId, preferredModel: b.model ?? undefined };
    const s = db.createSession();
    db.setBinding(p.channel.platform, p.channel.chatId, thread, s.id);
    return { sessionId: s.id };
  }
  return { sessionId: db.createSession().id };
}
