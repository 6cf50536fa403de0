import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Context, Hono } from "hono";
import { z } from "zod";
import { AgentdError } from "../errors.js";
import { bearerToken } from "./auth.js";
import type { TokenKeys } from "./token-keys.js";
import { defineRoute, type Router } from "./router.js";
import { clearedSessionCookie, cookieValue, sessionCookie, sessionCookieName, type WebSession, type WebSessions } from "./web-auth.js";
import { sameOriginRequest } from "./origin-check.js";
import { ANY_SCOPE } from "../../protocol/scopes.js";

/**
 * The Content-Security-Policy of the web app (CSP Level 3): scripts, styles and connections only from this
 * origin (`'self'` covers `ws://` to the same host and port), no inline script or style, no plugins, no framing,
 * no form posts elsewhere. Nothing is ever fetched from a CDN.
 */
export const WEB_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** `Cache-Control` of hashed assets (`/assets/app-HASH.js`): a year, immutable (RFC 8246). */
export const ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable";

const TYPES: Record<string, string> = { js: "text/javascript; charset=utf-8", css: "text/css; charset=utf-8", svg: "image/svg+xml", png: "image/png", map: "application/json" };

/**
 * Finds the built web app (`web/index.html` beside the bundle: dist/bundle/web/, written by scripts/bundle.mjs)
 * by walking up from this module's folder; undefined when the app was not built (then `/` says so).
 */
export function findWebRoot(from = dirname(fileURLToPath(import.meta.url))): string | undefined {
  let dir = from;
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, "web", "index.html"))) return join(dir, "web");
    dir = dirname(dir);
  }
  return undefined;
}

/** What the web routes need: the token lookup, the browser sessions, the daemon's port and bound names. */
export interface WebDeps {
  keys: TokenKeys;
  sessions: WebSessions;
  /** The port the gateway listens on (known once it listens). */
  port: () => number;
  /** `Host` values the daemon answers to (see boundHosts). */
  bound: () => Set<string>;
  /** Folder of the built app; default {@link findWebRoot}. */
  root?: string | undefined;
}

/** The sign-in routes of the web app (public: they are how a browser gets a cookie). */
export const webRoutes = {
  login: defineRoute({
    method: "post", path: "/api/login", tag: "web", public: true, status: 204, errors: [400, 401],
    summary: "Sign a browser in: a one-time login code (from `agentd open` or POST /api/login-codes) or the token, exchanged for a session cookie (HttpOnly, SameSite=Strict, named per port). Same-origin requests only.",
    body: z.union([z.strictObject({ code: z.string().min(1).max(200) }), z.strictObject({ token: z.string().min(1).max(500) })]),
    response: z.null().describe("no body; Set-Cookie carries the session"),
  }),
  logout: defineRoute({
    method: "post", path: "/api/logout", tag: "web", public: true, status: 204,
    summary: "Sign the browser out: ends its session and clears the cookie.", response: z.null(),
  }),
  loginCode: defineRoute({
    method: "post", path: "/api/login-codes", tag: "web", status: 201, scope: ANY_SCOPE,
    summary: "A one-time login code for the web app (valid 60 s, one use): open `/#login=<code>` in a browser. Bearer token only.",
    response: z.strictObject({ code: z.string(), expiresAt: z.string().describe("ISO 8601 UTC") }),
  }),
};

const originOf = (c: Context) => ({ host: c.req.header("host"), origin: c.req.header("origin"), fetchSite: c.req.header("sec-fetch-site") });

/**
 * Mounts the web app: `GET /` (index.html, `Cache-Control: no-cache`, strict {@link WEB_CSP}) and
 * `GET /assets/*` (hashed files, {@link ASSET_CACHE_CONTROL}); files are read from disk on request, so an
 * idle daemon holds none of them. Plus the sign-in routes {@link webRoutes}.
 */
export function mountWebRoutes(app: Hono, router: Router, deps: WebDeps): void {
  const root = deps.root ?? findWebRoot();
  const security = { "Content-Security-Policy": WEB_CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY" };
  app.get("/", async (c) => {
    if (!root) return c.json({ error: { code: "not_found", message: "the web app is not built (npm run build)" } }, 404);
    const html = await readFile(join(root, "index.html"));
    return c.body(new Uint8Array(html), 200, { ...security, "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache" });
  });
  app.get("/assets/:file", async (c) => {
    const file = c.req.param("file");
    const ext = /^[A-Za-z0-9_.-]+\.([a-z]+)$/.exec(file)?.[1];
    if (!root || !ext || !TYPES[ext] || file.includes("..")) return c.json({ error: { code: "not_found", message: `no asset ${file}` } }, 404);
    let body: Buffer;
    try {
      body = await readFile(join(root, "assets", file));
    } catch {
      return c.json({ error: { code: "not_found", message: `no asset ${file}` } }, 404);
    }
    return c.body(new Uint8Array(body), 200, { ...security, "Content-Type": TYPES[ext]!, "Cache-Control": ASSET_CACHE_CONTROL });
  });

  router
    .route(webRoutes.login, ({ body, c }) => {
      if (!sameOriginRequest(originOf(c), deps.bound())) throw new AgentdError("unauthorized", "sign-in is accepted only from the agent's own page (Origin/Host)");
      const scopes = "code" in body ? deps.sessions.redeemCode(body.code) : deps.keys.byBearer(body.token)?.scopes;
      if (!scopes) throw new AgentdError("unauthorized", "code" in body ? "this login link is used or expired: run `agentd open DIR` again" : "wrong token");
      const cookie = deps.sessions.open([...scopes]);
      return c.body(null, 204, { "Set-Cookie": sessionCookie(deps.port(), cookie), "Cache-Control": "no-store" });
    })
    .route(webRoutes.logout, ({ c }) => {
      if (sameOriginRequest(originOf(c), deps.bound())) deps.sessions.close(cookieValue(c.req.header("cookie"), sessionCookieName(deps.port())));
      return c.body(null, 204, { "Set-Cookie": clearedSessionCookie(deps.port()) });
    })
    .route(webRoutes.loginCode, ({ c }) => {
      const entry = deps.keys.byBearer(bearerToken(c.req.header("authorization")));
      if (!entry) throw new AgentdError("unauthorized", "a login code needs the bearer token (a signed-in browser cannot mint more)");
      const { code, expiresAt } = deps.sessions.issueCode([...entry.scopes]);
      return c.json({ code, expiresAt: new Date(expiresAt).toISOString() }, 201);
    });
}

/**
 * The browser session of a REST request: a cookie of this port naming a live session, on a request that passes
 * {@link sameOriginRequest}. Returns the session (its scopes are the request's), "cross-origin" (a cookie on a
 * request from another origin or Host: refused), or undefined (no cookie or a dead one: fall back to the bearer
 * token).
 */
export function cookieSession(c: Context, deps: Pick<WebDeps, "sessions" | "port" | "bound">): WebSession | "cross-origin" | undefined {
  const cookie = cookieValue(c.req.header("cookie"), sessionCookieName(deps.port()));
  if (!cookie) return undefined;
  if (!sameOriginRequest(originOf(c), deps.bound())) return "cross-origin";
  return deps.sessions.lookup(cookie);
}
