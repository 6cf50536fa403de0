import type { z } from "zod";
import type { ScopeRequirement } from "./scopes.js";

/**
 * One protocol method: its params and result schemas (zod, strict objects) and a one-line description.
 * The daemon registers a handler per method by this spec, so validation narrows the types (DESIGN.md §3).
 * `sideEffect: true` marks methods that change state (used for docs and rate limits). `scope` is what a token
 * needs to call it (one scope or any one of a list; `admin` passes everything, protocol/scopes.ts); the gateway
 * checks it in one place before the params are validated.
 */
export interface MethodSpec<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  params: P;
  result: R;
  description: string;
  scope: ScopeRequirement;
  sideEffect?: boolean;
  /** How the method is reached over REST, when it is ({@link RestMapping}); the gateway derives the route from it. */
  rest?: RestMapping;
}

/**
 * The REST side of a protocol method, declared with the method (issue 18: one declaration per operation). The
 * gateway derives from it the route, its validation by location (path, query, body, headers; same schemas as the
 * method's params), its scope (the method's) and its entry in the OpenAPI document and docs/rest.md.
 *
 * - `path`: OpenAPI style under `/api`: `{name}` is a path parameter, `{name+}` one that may contain `/` (note
 *   paths). Its name is the param's, or mapped in `pathParams` (`{ id: "sessionId" }`: the URL's `{id}` is the
 *   method's `sessionId`).
 * - `query`: the params read from the query string; by default every param not in the path or `headers` for
 *   `get` and `delete`, none for the others. Numbers are read from their decimal text.
 * - Every other param comes from the JSON body, or the whole body is the one param named by `body`
 *   (`schedules.update`'s `patch`).
 * - `headers`: params a request header may carry instead of the body (lower-case header names), e.g.
 *   `{ ifMatch: "if-match" }` (RFC 9110 §13.1.1); the header wins.
 * - `etag`: a result field also sent as the `ETag` response header (RFC 9110 §8.8.3).
 * - `status`: the success status (default 200); `errors`: the error statuses documented besides 400/401/403.
 */
export interface RestMapping {
  method: "get" | "post" | "put" | "patch" | "delete";
  path: string;
  summary: string;
  tag: string;
  pathParams?: Readonly<Record<string, string>>;
  query?: readonly string[];
  body?: string;
  headers?: Readonly<Record<string, string>>;
  etag?: string;
  status?: number;
  errors?: readonly number[];
}

/** Identity helper that keeps the literal types of a method spec. */
export function defineMethod<P extends z.ZodType, R extends z.ZodType>(spec: MethodSpec<P, R>): MethodSpec<P, R> {
  return spec;
}

/** One protocol event: its payload schema and a description. */
export interface EventSpec<P extends z.ZodType = z.ZodType> {
  payload: P;
  description: string;
}

/** Identity helper that keeps the literal types of an event spec. */
export function defineEvent<P extends z.ZodType>(spec: EventSpec<P>): EventSpec<P> {
  return spec;
}
