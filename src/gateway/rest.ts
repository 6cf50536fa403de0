import { randomUUID } from "node:crypto";
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import type { Logger } from "pino";
import { httpStatusOf, WireError } from "../../protocol/errors.js";
import { attachmentOfPath } from "../media/files.js";
import { chatMethods, ChannelAddress, Attachment, hasContent } from "../../protocol/chat.js";
import { RunDonePayload, RunErrorPayload } from "../../protocol/events.js";
import { AgentdError, toWireError } from "../errors.js";
import { bearerToken } from "./auth.js";
import type { TokenKeys } from "./token-keys.js";
import type { Principal } from "./scopes.js";
import type { Scope } from "../../protocol/scopes.js";
import { validate, type DaemonRegistry } from "./method-registry.js";
import { isMultipart } from "../media/form-receive.js";
import { Router, defineRoute } from "./router.js";
import { mountMethodRoutes } from "./method-routes.js";
import { cookieSession, mountWebRoutes, type WebDeps } from "./web-routes.js";
import { runEventStream, type RunEvent } from "./run-event-stream.js";

const isFinal = (ev: RunEvent): boolean => ev.event === "run.done" || ev.event === "run.error";

/** What the REST routes need from the daemon. */
export interface RestDeps {
  /** Looks up a presented bearer token (owner, named and bridge tokens). */
  keys: TokenKeys;
  version: string;
  startedAt: number;
  registry: DaemonRegistry;
  logger: Logger;
  maxBodyBytes: number;
  /**
   * Paths (exact) that need no token besides `/api/health`, each with the scopes an anonymous caller gets there
   * (and there only): `/metrics` when configured public (`read`), a webhook signed with its own secret (`chat`,
   * the route checks the signature itself).
   */
  publicPaths?: () => Array<{ path: string; scopes: Scope[] }>;
  /** Receives a multipart `POST /api/chat` (text and files in one request); without it multipart is refused. */
  chatForm?: (req: Request) => Promise<{ fields: Map<string, string>; files: Attachment[]; discard(): Promise<void> }>;
  /** The core methods (sessions, chat, agent info) whose REST routes are mounted first, from their `rest` mappings. */
  coreMethods?: readonly string[];
  /** Extra route groups mounted after the built-in ones (vault, mcp, usage…), behind the token. */
  extend?: Array<(router: Router) => void>;
  /**
   * Error bodies of other shapes by path prefix (e.g. `/v1/` answers in the OpenAI error shape): the first
   * prefix that matches renders the error instead of {@link errorResponse}.
   */
  errorShapes?: Array<{ prefix: string; render: (c: Context, err: unknown) => Response }>;
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
  text: z.string().max(100_000).default(""),
  sessionId: z.string().max(64).optional(),
  idempotencyKey: z.string().min(1).max(200).optional(),
  channel: ChannelAddress.optional(),
  attachments: z.array(z.union([Attachment, z.string().min(1).max(1024)])).max(16).optional()
    .describe("files from POST /api/upload: its 201 answer as is, or just its `path` (the upload id)"),
  model: z.string().max(64).optional().describe("a model name under `models` for this run"),
}).refine(hasContent, { message: "send a text or at least one attachment", path: ["text"] });

/**
 * The core routes that are not a protocol method's mapping: health (no token) and `POST /api/chat` (a run's
 * result or its Server-Sent Events, JSON or multipart). The methods' own routes (`sessions.*`, `chat.history`,
 * `chat.abort`, `agent.info`) come from their declarations (method-routes.ts).
 */
export const coreRoutes = {
  health: defineRoute({
    method: "get", path: "/api/health", summary: "Liveness: status, version, uptime (no token needed).", tag: "agent", public: true,
    response: z.strictObject({ status: z.literal("ok"), version: z.string(), uptimeMs: z.number().int() }),
  }),
  chat: defineRoute({
    method: "post", path: "/api/chat", summary: "Send a message and get the reply when the run ends (or SSE with Accept: text/event-stream). `attachments`: files from POST /api/upload (its answer, or its `path`); or send multipart/form-data with `text` and the files in one request. `text` may be empty when there are files. Over the uploads limits: 413, nothing stored.", tag: "chat", scope: chatMethods["chat.send"].scope,
    body: RestChatBody, response: RunDonePayload, errors: [400, 404, 413, 429, 502, 504], sse: true,
    form: z.object({
      text: z.string().optional(), sessionId: z.string().optional(), idempotencyKey: z.string().optional(),
      file: z.array(z.string()).describe("one part per file (any field name with a file name); audio is transcribed"),
    }),
  }),
};

/**
 * Builds the REST API (hono): `GET /api/health` is open; every other route needs `Authorization: Bearer <token>`
 * (looked up in `deps.keys`: owner, named or bridge token → the request's principal) and the scope its declaration
 * names (checked by the router, 403 `forbidden`); a config-public path (`/metrics`) gives a caller without a token
 * the `read` scope there only. Errors render as `{ error: { code, message, details? } }`, or in the shape of
 * `deps.errorShapes` for their paths (`/v1/*`: OpenAI's). Routes are thin over the protocol's method registry, so REST and WebSocket never disagree, and are declared
 * with {@link Router} so `GET /api/openapi.json` documents exactly what they validate.
 * `POST /api/chat` answers with JSON once the run ends, or streams Server-Sent Events when the request has
 * `Accept: text/event-stream` (event names are the protocol's run event names, `id` is the per-run seq).
 */
export function createRestApp(deps: RestDeps): { app: Hono; router: Router } {
  const app = new Hono();
  const router = new Router(app);
  const renderError = (c: Context, err: unknown): Response => {
    const shape = deps.errorShapes?.find((s) => c.req.path.startsWith(s.prefix));
    return shape ? shape.render(c, err) : errorResponse(c, err);
  };

  app.onError((err, c) => {
    const wire = toWireError(err);
    if (wire.code === "internal") deps.logger.error({ err, path: c.req.path }, "request failed");
    // a body refused while it streams is left unread: the connection cannot carry another request (RFC 9110 §15.5.14)
    if (wire.code === "payload_too_large") c.header("Connection", "close");
    return renderError(c, err);
  });
  app.notFound((c) => renderError(c, new AgentdError("not_found", `no route ${c.req.method} ${c.req.path}`)));

  // no credential needed: health, the web app's page and assets, sign-in and sign-out
  const openPaths = new Set(["/api/health", "/", "/api/login", "/api/logout"]);
  // authentication: a bearer token (owner, named or bridge token), or a browser's session cookie, becomes the
  // request's principal; the scope each route declares is checked by the router (router.ts), the scope of each
  // method by the registry
  app.use("*", async (c, next) => {
    const path = c.req.path;
    if (openPaths.has(path) || path.startsWith("/assets/")) return next();
    const presented = bearerToken(c.req.header("authorization"));
    if (presented === undefined && deps.web) {
      // a browser: its session cookie counts only on a same-origin request to a bound Host (docs/security.md)
      const web = cookieSession(c, deps.web);
      if (web === "cross-origin") return renderError(c, new AgentdError("unauthorized", "cross-origin request refused (Origin/Host is not this agent's own)"));
      if (web) {
        c.set("principal" as never, { name: "web", scopes: web.scopes, kind: "token" } satisfies Principal as never);
        return next();
      }
    }
    const entry = presented ? deps.keys.byBearer(presented) : undefined;
    const open = !entry && !presented ? deps.publicPaths?.().find((p) => p.path === path) : undefined;
    if (open) {
      // a path made public by config: an anonymous caller gets that path's scopes there only
      c.set("principal" as never, { name: "anonymous", scopes: open.scopes, kind: "token" } satisfies Principal as never);
      return next();
    }
    if (!entry) {
      if (path === "/mcp") c.header("WWW-Authenticate", 'Bearer realm="agentd"');
      return renderError(c, new AgentdError("unauthorized", presented ? "wrong, revoked or expired bearer token" : "missing bearer token: send Authorization: Bearer <token>"));
    }
    c.set("principal" as never, { name: entry.name, scopes: entry.scopes, kind: entry.kind } satisfies Principal as never);
    return next();
  });
  const tooLarge = (c: Context) => c.json({ error: { code: "payload_too_large", message: `the body is larger than ${deps.maxBodyBytes} bytes` } }, 413, { Connection: "close" });
  const limitBody = bodyLimit({ maxSize: deps.maxBodyBytes, onError: tooLarge });
  // uploads, and a multipart chat message with its files, are limited by uploads.* while they stream
  const streamed = (c: Context) => c.req.path === "/api/upload" || (c.req.path === "/api/chat" && isMultipart(c.req.header("content-type")));
  app.use("*", async (c, next) => {
    if (streamed(c)) return next();
    // the headers decide when they can (RFC 9112 §6.3): no Content-Length and no Transfer-Encoding is no body, a
    // declared length is checked as is (Node's parser refuses a body that does not match it); only a chunked body is
    // counted while it streams, by hono's bodyLimit, which first builds the whole web Request (~0.15 ms a request)
    if (c.req.header("transfer-encoding") === undefined) {
      const length = c.req.header("content-length");
      return length !== undefined && Number(length) > deps.maxBodyBytes ? tooLarge(c) : next();
    }
    return limitBody(c, next);
  });

  router.route(coreRoutes.health, () => ({ status: "ok", version: deps.version, uptimeMs: Date.now() - deps.startedAt }));
  mountMethodRoutes(router, deps.registry, deps.coreMethods ?? []);
  router.route(coreRoutes.chat, async ({ body: json, c, principal }) => {
      let body = json;
      let discard: (() => Promise<void>) | undefined;
      if (body === undefined) {
        // multipart: the fields are the JSON body's (text, sessionId, idempotencyKey), the files its attachments
        if (!deps.chatForm) throw new AgentdError("bad_request", "send the message as JSON", { details: { path: "body" } });
        const form = await deps.chatForm(c.req.raw);
        discard = form.discard;
        try {
          body = validate(RestChatBody, { ...Object.fromEntries(form.fields), ...(form.files.length ? { attachments: form.files } : {}) }, "body");
        } catch (err) {
          await discard();
          throw err;
        }
      }
      const { attachments: given, ...fields } = body;
      const attachments = given?.map((a) => (typeof a === "string" ? attachmentOfPath(a) : a));
      const params = { ...fields, ...(attachments ? { attachments } : {}), idempotencyKey: body.idempotencyKey ?? c.req.header("idempotency-key") ?? randomUUID() };
      // the run's events: those seen before the answer is built are kept, later ones go straight to it
      const early: RunEvent[] = [];
      let deliver: ((ev: RunEvent) => void) | undefined;
      const subscriber = (event: string, payload: unknown, seq: number) => {
        if (deliver) deliver({ event, payload, seq });
        else early.push({ event, payload, seq });
      };
      let sent: { runId: string; sessionId: string };
      try {
        sent = await deps.registry.call("chat.send", params, { transport: "rest", subscriber, principal });
      } catch (err) {
        await discard?.(); // refused: the files of a multipart message go too, nothing half-stored
        throw err;
      }
      if ((c.req.header("accept") ?? "").includes("text/event-stream")) {
        const body = runEventStream(sent, early, (d) => (deliver = d));
        return c.body(body, 200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache", Connection: "keep-alive", "Transfer-Encoding": "chunked" });
      }
      // JSON: only the run's end matters (no queue of its deltas)
      const end = await new Promise<RunEvent>((resolve) => {
        const final = early.find(isFinal);
        if (final) return resolve(final);
        deliver = (ev) => {
          if (isFinal(ev)) resolve(ev);
        };
      });
      if (end.event === "run.done") return end.payload;
      const p = end.payload as z.output<typeof RunErrorPayload>;
      return c.json({ ...p, error: p.error }, httpStatusOf[p.error.code] as 400);
    });

  if (deps.web) mountWebRoutes(app, router, { ...deps.web, keys: deps.keys });
  for (const extend of deps.extend ?? []) extend(router);
  return { app, router };
}
