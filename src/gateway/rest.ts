import { randomUUID } from "node:crypto";
import { Hono, type Context } from "hono";
import { streamSSE } from "hono/streaming";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import type { Logger } from "pino";
import { httpStatusOf, WireError } from "../../protocol/errors.js";
import type { MethodSpec } from "../../protocol/method-spec.js";
import { EventQueue } from "../../protocol/event-queue.js";
import { chatMethods, ChannelAddress, Attachment } from "../../protocol/chat.js";
import { sessionMethods } from "../../protocol/sessions.js";
import { AgentInfo } from "../../protocol/agent.js";
import { RunDonePayload, RunErrorPayload } from "../../protocol/events.js";
import { AgentdError, toWireError } from "../errors.js";
import { bearerToken } from "./auth.js";
import type { TokenKeys } from "./token-keys.js";
import type { MethodRegistry } from "./method-registry.js";
import { Router, defineRoute, queryInt } from "./router.js";
import { cookieAuth, mountWebRoutes, type WebDeps } from "./web-routes.js";

/** What the REST routes need from the daemon. */
export interface RestDeps {
  /** Where the bearer token of a request is looked up. */
  keys: TokenKeys;
  version: string;
  startedAt: number;
  registry: MethodRegistry<Record<string, MethodSpec>>;
  logger: Logger;
  maxBodyBytes: number;
  /** Paths (exact) that need no token besides `/api/health`, e.g. `/metrics` when configured public. */
  publicPaths?: () => string[];
  /** Extra route groups mounted after the built-in ones (vault, mcp, usage…), behind the token. */
  extend?: Array<(router: Router) => void>;
  /** The web app (static files at `/`, sign-in, the session cookie as an alternative to the bearer token). */
  web?: Omit<WebDeps, "keys">;
}

/** Sends an error as `{ error: { code, message, details? } }` with the status of its code; never HTML or a stack. */
export function errorResponse(c: Context, err: unknown): Response {
  const error = toWireError(err);
  return c.json({ error }, httpStatusOf[error.code] as 400);
}

/** The JSON error body every route uses. */
export const ErrorBody = z.strictObject({ error: WireError });

/** Body of `POST /api/chat`: `idempotencyKey` is optional here (or the `Idempotency-Key` header); one is made up otherwise. */
export const RestChatBody = z.strictObject({
  text: z.string().min(1).max(100_000),
  sessionId: z.string().max(64).optional(),
  idempotencyKey: z.string().min(1).max(200).optional(),
  channel: ChannelAddress.optional(),
  attachments: z.array(Attachment).max(16).optional(),
});

/** The core routes: health, agent info, sessions, messages, chat. */
export const coreRoutes = {
  health: defineRoute({
    method: "get", path: "/api/health", summary: "Liveness: status, version, uptime (no token needed).", tag: "agent", public: true,
    response: z.strictObject({ status: z.literal("ok"), version: z.string(), uptimeMs: z.number().int() }),
  }),
  agentInfo: defineRoute({ method: "get", path: "/api/agent-info", summary: "Name, folder, port, version and model of the agent.", tag: "agent", response: AgentInfo }),
  sessions: defineRoute({
    method: "get", path: "/api/sessions", summary: "Sessions, most recently active first.", tag: "sessions",
    query: z.strictObject({ limit: queryInt(1, 1000).optional() }), response: sessionMethods["sessions.list"].result,
  }),
  createSession: defineRoute({
    method: "post", path: "/api/sessions", summary: "Create an empty session.", tag: "sessions", status: 201,
    body: sessionMethods["sessions.create"].params, response: sessionMethods["sessions.create"].result,
  }),
  renameSession: defineRoute({
    method: "patch", path: "/api/sessions/{id}", summary: "Rename a session.", tag: "sessions", errors: [400, 404],
    params: z.strictObject({ id: z.string() }), body: z.strictObject({ title: sessionMethods["sessions.rename"].params.shape.title }),
    response: sessionMethods["sessions.rename"].result,
  }),
  deleteSession: defineRoute({
    method: "delete", path: "/api/sessions/{id}", summary: "Delete a session with its messages (409 while a reply runs).", tag: "sessions", errors: [404, 409],
    params: z.strictObject({ id: z.string() }), response: sessionMethods["sessions.delete"].result,
  }),
  messages: defineRoute({
    method: "get", path: "/api/sessions/{id}/messages", summary: "Messages of a session, oldest first.", tag: "sessions",
    params: z.strictObject({ id: z.string() }), query: z.strictObject({ limit: queryInt(1, 1000).optional(), beforeId: z.string().optional() }),
    response: chatMethods["chat.history"].result, errors: [404],
  }),
  chat: defineRoute({
    method: "post", path: "/api/chat", summary: "Send a message and get the reply when the run ends (or SSE with Accept: text/event-stream).", tag: "chat",
    body: RestChatBody, response: RunDonePayload, errors: [400, 404, 429, 502, 504], sse: true,
  }),
  abort: defineRoute({
    method: "post", path: "/api/chat/abort", summary: "Stop a running reply (by run id or session).", tag: "chat",
    body: chatMethods["chat.abort"].params, response: chatMethods["chat.abort"].result,
  }),
};

/**
 * Builds the REST API (hono): `GET /api/health` is open; every other route needs `Authorization: Bearer <token>`.
 * Routes are thin over the protocol's method registry, so REST and WebSocket never disagree, and are declared
 * with {@link Router} so `GET /api/openapi.json` documents exactly what they validate.
 * `POST /api/chat` answers with JSON once the run ends, or streams Server-Sent Events when the request has
 * `Accept: text/event-stream` (event names are the protocol's run event names, `id` is the per-run seq).
 */
export function createRestApp(deps: RestDeps): { app: Hono; router: Router } {
  const app = new Hono();
  const router = new Router(app);
  const call = (method: string, params: unknown) => deps.registry.call(method, params, { transport: "rest" });

  app.onError((err, c) => {
    const wire = toWireError(err);
    if (wire.code === "internal") deps.logger.error({ err, path: c.req.path }, "request failed");
    return errorResponse(c, err);
  });
  app.notFound((c) => c.json({ error: { code: "not_found", message: `no route ${c.req.method} ${c.req.path}` } }, 404));

  const open = new Set(["/api/health", "/", "/api/login", "/api/logout"]);
  app.use("*", async (c, next) => {
    const path = c.req.path;
    if (open.has(path) || path.startsWith("/assets/") || deps.publicPaths?.().includes(path)) return next();
    const bearer = bearerToken(c.req.header("authorization"));
    if (bearer === undefined && deps.web) {
      // a browser: its session cookie counts only on a same-origin request to a bound Host (docs/security.md)
      const verdict = cookieAuth(c, deps.web);
      if (verdict === "ok") return next();
      if (verdict === "cross-origin") return c.json({ error: { code: "unauthorized", message: "cross-origin request refused (Origin/Host is not this agent's own)" } }, 401);
    }
    if (!deps.keys.byBearer(bearer)) {
      return c.json({ error: { code: "unauthorized", message: "missing or wrong bearer token" } }, 401);
    }
    return next();
  });
  const limitBody = bodyLimit({
    maxSize: deps.maxBodyBytes,
    onError: (c) => c.json({ error: { code: "payload_too_large", message: `the body is larger than ${deps.maxBodyBytes} bytes` } }, 413),
  });
  // uploads stream to disk under their own limit (uploads.maxBytes, src/ops/uploads.ts)
  app.use("/api/*", (c, next) => (c.req.path === "/api/upload" ? next() : limitBody(c, next)));

  router
    .route(coreRoutes.health, () => ({ status: "ok", version: deps.version, uptimeMs: Date.now() - deps.startedAt }))
    .route(coreRoutes.agentInfo, () => call("agent.info", {}))
    .route(coreRoutes.sessions, ({ query }) => call("sessions.list", query))
    .route(coreRoutes.createSession, ({ body }) => call("sessions.create", body))
    .route(coreRoutes.renameSession, ({ params, body }) => call("sessions.rename", { sessionId: params.id, title: body.title }))
    .route(coreRoutes.deleteSession, ({ params }) => call("sessions.delete", { sessionId: params.id }))
    .route(coreRoutes.messages, ({ params, query }) => call("chat.history", { sessionId: params.id, ...query }))
    .route(coreRoutes.abort, ({ body }) => call("chat.abort", body))
    .route(coreRoutes.chat, async ({ body, c }) => {
      const params = { ...body, idempotencyKey: body.idempotencyKey ?? c.req.header("idempotency-key") ?? randomUUID() };
      const queue = new EventQueue<{ event: string; payload: unknown; seq: number }>();
      const subscriber = (event: string, payload: unknown, seq: number) => {
        queue.push({ event, payload, seq });
        if (event === "run.done" || event === "run.error") queue.end();
      };
      const sent = (await deps.registry.call("chat.send", params, { transport: "rest", subscriber })) as { runId: string; sessionId: string };
      if ((c.req.header("accept") ?? "").includes("text/event-stream")) {
        return streamSSE(c, async (stream) => {
          await stream.writeSSE({ event: "run.accepted", data: JSON.stringify(sent) });
          for await (const ev of queue) await stream.writeSSE({ event: ev.event, data: JSON.stringify(ev.payload), id: String(ev.seq) });
        });
      }
      for await (const ev of queue) {
        if (ev.event === "run.done") return ev.payload;
        if (ev.event === "run.error") {
          const p = ev.payload as z.output<typeof RunErrorPayload>;
          return c.json({ ...p, error: p.error }, httpStatusOf[p.error.code] as 400);
        }
      }
      throw new AgentdError("internal", "the run ended without a result");
    });

  if (deps.web) mountWebRoutes(app, router, { ...deps.web, keys: deps.keys });
  for (const extend of deps.extend ?? []) extend(router);
  return { app, router };
}
