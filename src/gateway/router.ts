import { isMultipart } from "../media/form-receive.js";
import type { Context, Hono } from "hono";
import { z } from "zod";
import { AgentdError } from "../errors.js";
import { validate } from "./method-registry.js";
import type { ScopeRequirement } from "../../protocol/scopes.js";
import { authorize, type Principal } from "./scopes.js";
import { MAX_JSON_DEPTH, nestedDeeperThan } from "./json-depth.js";

/** HTTP methods a route can use. */
export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";

/**
 * A REST route declared once: the zod schemas here validate requests and generate the OpenAPI 3.1 document
 * (`GET /api/openapi.json`), so docs and behaviour never disagree. `path` is OpenAPI style (`/api/sessions/{id}`);
 * `{name+}` is a greedy segment that may contain slashes (vault note paths). `public` routes need no token.
 * `response` describes the JSON body of the success status (`status`, default 200); `errors` lists the other
 * statuses the route documents (401 is added for every non-public route). `raw` marks routes whose body is not
 * JSON (multipart uploads, Prometheus text): `response` then documents what it returns, `body` is not parsed.
 * `scope` is what a token needs (protocol/scopes.ts; `admin` passes everything); every route but a `public` one
 * declares it, the router checks it ({@link authorize}) before anything else, and the OpenAPI document lists it.
 */
export type RouteSpec = RouteBase & ({ public: true; scope?: undefined } | { public?: false; scope: ScopeRequirement });

/** The fields every {@link RouteSpec} has. */
export interface RouteBase {
  method: HttpMethod;
  path: string;
  summary: string;
  tag: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** Request headers the route reads, by lower-case name (documented as `in: header` parameters). */
  headers?: z.ZodObject;
  /** Response headers of the success status, by name, with what they carry (e.g. `ETag`). */
  responseHeaders?: Record<string, string>;
  body?: z.ZodType;
  response: z.ZodType;
  status?: number;
  errors?: number[];
  raw?: { request?: string; response?: string };
  /** The route can also answer `text/event-stream` (documented as an alternative response). */
  sse?: boolean;
  /** The body of its error statuses when it is not agentd's `{ error: { code, message, details? } }` (the OpenAI-compatible routes). */
  errorBody?: z.ZodType;
  /**
   * The route also takes `multipart/form-data` (RFC 7578), documented with this schema: then the router does not
   * parse the body (the handler gets `body` undefined and reads `c.req.raw`).
   */
  form?: z.ZodType;
}

/** What a route handler gets: validated params, query and body, the caller, and hono's context for headers and streams. */
export interface RouteInput<S extends RouteSpec> {
  /** The authenticated caller (a principal without scopes on `public` routes, which have no token). */
  principal: Principal;
  params: S["params"] extends z.ZodObject ? z.output<S["params"]> : Record<string, never>;
  query: S["query"] extends z.ZodObject ? z.output<S["query"]> : Record<string, never>;
  body: S["body"] extends z.ZodType ? z.output<S["body"]> : undefined;
  /**
   * The JSON body as the client sent it (parsed once, before validation filled in defaults): for writes that
   * must keep what was written and not the defaults (config files). `undefined` for routes without a JSON body.
   */
  sent: S["body"] extends z.ZodType ? unknown : undefined;
  c: Context;
}

/**
 * Converts an OpenAPI path to hono's syntax: `{id}` → `:id`, `{path+}` → `:path{[\s\S]+}`. hono matches routes
 * against the decoded path, so the greedy segment must match every character (`.` would miss a `%0A`, and the
 * request would be a 404 instead of the 400 the protocol gives for the same note path).
 */
export function honoPath(path: string): string {
  return path.replace(/\{(\w+)\+\}/g, ":$1{[\\s\\S]+}").replace(/\{(\w+)\}/g, ":$1");
}

/** Identity helper that keeps a route spec's literal types. */
export function defineRoute<S extends RouteSpec>(spec: S): S {
  return spec;
}

/**
 * Mounts declared routes on a hono app and remembers them for the OpenAPI document. A handler returns the JSON
 * body (sent with `spec.status`) or a `Response` of its own (streams, ETag headers, other statuses). Bad params,
 * query or body give a 400 naming the field (`details.path`), before the handler runs.
 */
export class Router {
  readonly specs: RouteSpec[] = [];

  constructor(readonly app: Hono) {}

  /** Declares and mounts one route. */
  route<S extends RouteSpec>(spec: S, handler: (input: RouteInput<S>) => unknown): this {
    this.specs.push(spec);
    const operation = `${spec.method.toUpperCase()} ${spec.path}`;
    this.app.on(spec.method.toUpperCase(), honoPath(spec.path), async (c) => {
      const principal = spec.public ? PUBLIC : authorize(principalOf(c), spec.scope, operation);
      // hono's c.req.param() is already percent-decoded, once: decoding again would turn `b%2542.md` into `bB.md`
      if (spec.params) checkPercentEncoding(c.req.url);
      const params = spec.params ? validate(spec.params, c.req.param() as Record<string, string>, "path") : {};
      const query = spec.query ? validate(spec.query, c.req.query(), "query") : {};
      let body: unknown;
      const form = spec.form !== undefined && isMultipart(c.req.header("content-type"));
      let sent: unknown;
      if (spec.body && !spec.raw?.request && !form) body = validate(spec.body, (sent = await readJson(c)), "body");
      const out = await handler({ params, query, body, sent, c, principal } as RouteInput<S>);
      if (out instanceof Response) return out;
      return c.json(out as object, (spec.status ?? 200) as 200);
    });
    return this;
  }
}

/** The principal of a `public` route: no scopes at all (it reaches no operation). */
const PUBLIC: Principal = { name: "public", scopes: [], kind: "token" };

/** The principal the authentication middleware (rest.ts) put on the request, if any. */
export function principalOf(c: Context): Principal | undefined {
  return c.get("principal" as never) as Principal | undefined;
}

/**
 * Refuses a URL path that is not valid percent-encoding (RFC 3986 §2.1: `%` must start `%XX`, and the bytes must
 * be UTF-8): hono would pass `100%.md` or `%E2%82` through undecoded, so one note would have two spellings.
 * Throws a `bad_request` {@link AgentdError} naming `path`.
 */
function checkPercentEncoding(url: string): void {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const end = url.search(/[?#]/);
  const path = url.slice(start, end === -1 ? undefined : end);
  try {
    decodeURIComponent(path);
  } catch {
    throw new AgentdError("bad_request", "path: the URL is not valid percent-encoding (write % as %25)", { details: { path: "path" } });
  }
}

/**
 * Reads a JSON body; an empty body is `{}`; malformed JSON, or JSON nested deeper than {@link MAX_JSON_DEPTH}
 * levels, is a `bad_request` (`details.path` = `body`).
 */
export async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (!text.trim()) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AgentdError("bad_request", "the body is not valid JSON", { details: { path: "body" } });
  }
  if (nestedDeeperThan(value)) throw new AgentdError("bad_request", `the body is nested deeper than ${MAX_JSON_DEPTH} levels`, { details: { path: "body", maxDepth: MAX_JSON_DEPTH } });
  return value;
}

/** Query-string integer: accepts `"10"`, rejects `"x"` with a clear message. Use in route `query` schemas. */
export const queryInt = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
