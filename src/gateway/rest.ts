import { randomUUID } from "node:crypto";
import { Hono, type Context } from "hono";
import { streamSSE } from "hono/streaming";
import { bodyLimit } from "hono/body-limit";
import type { Logger } from "pino";
import { httpStatusOf } from "../../protocol/errors.js";
import type { MethodSpec } from "../../protocol/method-spec.js";
import { EventQueue } from "../../protocol/event-queue.js";
import { AgentdError, toWireError } from "../errors.js";
import { bearerToken, tokenMatches } from "./auth.js";
import type { MethodRegistry } from "./method-registry.js";

/** What the REST routes need from the daemon. */
export interface RestDeps {
  token: () => string;
  version: string;
  startedAt: number;
  registry: MethodRegistry<Record<string, MethodSpec>>;
  logger: Logger;
  maxBodyBytes: number;
  /** Extra route groups mounted after the built-in ones (vault, mcp, usage…), all behind the token. */
  extend?: Array<(app: Hono) => void>;
}

/** Sends an error as `{ error: { code, message, details? } }` with the status of its code; never HTML or a stack. */
export function errorResponse(c: Context, err: unknown): Response {
  const error = toWireError(err);
  return c.json({ error }, httpStatusOf[error.code] as 400);
}

/** Reads a JSON body; a missing or malformed body is a `bad_request`. */
export async function jsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new AgentdError("bad_request", "the body is not valid JSON");
  }
}

/** Parses an integer query parameter; undefined when absent, `bad_request` when not an integer. */
export function intQuery(c: Context, name: string): number | undefined {
  const v = c.req.query(name);
  if (v === undefined || v === "") return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new AgentdError("bad_request", `query ${name}: expected an integer`, { details: { path: name } });
  return n;
}

/**
 * Builds the REST API (hono): `GET /api/health` is open; every other route needs `Authorization: Bearer <token>`.
 * Routes are thin over the protocol's method registry, so REST and WebSocket never disagree.
 * `POST /api/chat` answers with JSON once the run ends, or streams Server-Sent Events when the request has
 * `Accept: text/event-stream` (event names are the protocol's run event names, `id` is the per-run seq).
 */
export function createRestApp(deps: RestDeps): Hono {
  const app = new Hono();
  const call = (method: string, params: unknown) => deps.registry.call(method, params, { transport: "rest" });

  app.onError((err, c) => {
    const wire = toWireError(err);
    if (wire.code === "internal") deps.logger.error({ err, path: c.req.path }, "request failed");
    return errorResponse(c, err);
  });
  app.notFound((c) => c.json({ error: { code: "not_found", message: `no route ${c.req.method} ${c.req.path}` } }, 404));

  app.get("/api/health", (c) => c.json({ status: "ok", version: deps.version, uptimeMs: Date.now() - deps.startedAt }));

  app.use("/api/*", async (c, next) => {
    if (!tokenMatches(deps.token(), bearerToken(c.req.header("authorization")))) {
      return c.json({ error: { code: "unauthorized", message: "missing or wrong bearer token" } }, 401);
    }
    return next();
  });
  app.use("/api/*", bodyLimit({
    maxSize: deps.maxBodyBytes,
    onError: (c) => c.json({ error: { code: "payload_too_large", message: `the body is larger than ${deps.maxBodyBytes} bytes` } }, 413),
  }));

  app.get("/api/agent-info", async (c) => c.json(await call("agent.info", {})));
  app.get("/api/sessions", async (c) => c.json(await call("sessions.list", { limit: intQuery(c, "limit") })));
  app.post("/api/sessions", async (c) => c.json(await call("sessions.create", await jsonBody(c)), 201));
  app.get("/api/sessions/:id/messages", async (c) =>
    c.json(await call("chat.history", { sessionId: c.req.param("id"), limit: intQuery(c, "limit"), beforeId: c.req.query("beforeId") })));
  app.post("/api/chat/abort", async (c) => c.json(await call("chat.abort", await jsonBody(c))));

  app.post("/api/chat", async (c) => {
    const body = (await jsonBody(c)) as Record<string, unknown>;
    if (!body || typeof body !== "object" || Array.isArray(body)) throw new AgentdError("bad_request", "the body must be a JSON object");
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
      if (ev.event === "run.done") return c.json(ev.payload);
      if (ev.event === "run.error") {
        const p = ev.payload as { error: { code: keyof typeof httpStatusOf } };
        return c.json({ ...(ev.payload as object), error: p.error }, httpStatusOf[p.error.code] as 400);
      }
    }
    throw new AgentdError("internal", "the run ended without a result");
  });

  for (const extend of deps.extend ?? []) extend(app);
  return app;
}
