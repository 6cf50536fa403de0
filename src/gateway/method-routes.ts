import { z } from "zod";
import type { MethodSpec, RestMapping } from "../../protocol/method-spec.js";
import { validate, type DaemonRegistry } from "./method-registry.js";
import type { RouteSpec, Router } from "./router.js";

/** A protocol method's REST route, derived from its {@link RestMapping}: the route spec and where each param comes from. */
export interface MethodRoute {
  name: string;
  rest: RestMapping;
  spec: RouteSpec;
  /** URL path parameter name → method param name. */
  pathParams: Record<string, string>;
}

/** The schema inside `optional`/`default`/`nullable` wrappers. */
function inner(schema: z.ZodType): z.ZodType {
  const def = schema._zod.def as { type: string; innerType?: z.ZodType };
  return def.innerType && ["optional", "default", "nullable", "prefault", "readonly"].includes(def.type) ? inner(def.innerType) : schema;
}

/** A query-string field: the param's own schema, fed the number its decimal text spells when the param is a number. */
function queryField(schema: z.ZodType): z.ZodType {
  if (inner(schema)._zod.def.type !== "number") return schema;
  return z.preprocess((v) => (typeof v === "string" && v.trim() !== "" ? Number(v) : v), schema);
}

const pick = (shape: Record<string, z.ZodType>, keys: readonly string[]) => Object.fromEntries(keys.map((k) => [k, shape[k]!]));

/**
 * Derives the REST route of method `name` from its `rest` mapping: path parameters, query and body schemas cut
 * from the method's params schema (so REST validates what WebSocket validates, field by field), the method's
 * scope, result schema and summary. Throws when there is no mapping or it names a param the method lacks.
 */
export function methodRoute(name: string, method: MethodSpec): MethodRoute {
  const rest = method.rest;
  if (!rest) throw new Error(`${name} declares no REST mapping`);
  const params = method.params as z.ZodObject;
  const shape = params.shape as Record<string, z.ZodType>;
  const urlNames = [...rest.path.matchAll(/\{(\w+)\+?\}/g)].map((m) => m[1]!);
  const pathParams = Object.fromEntries(urlNames.map((u) => [u, rest.pathParams?.[u] ?? u]));
  const inPath = Object.values(pathParams);
  const inHeaders = Object.keys(rest.headers ?? {});
  const readsBody = rest.method !== "get" && rest.method !== "delete";
  const query = rest.query ?? (readsBody ? [] : Object.keys(shape).filter((k) => !inPath.includes(k) && !inHeaders.includes(k)));
  const inBody = readsBody ? Object.keys(shape).filter((k) => !inPath.includes(k) && !query.includes(k)) : [];
  for (const k of [...inPath, ...query, ...inHeaders, ...(rest.body ? [rest.body] : [])]) {
    if (!shape[k]) throw new Error(`${name}: the REST mapping names "${k}", which is not a param`);
  }
  let body: z.ZodType | undefined;
  if (rest.body) body = shape[rest.body];
  else if (inBody.length > 0 && inBody.length === Object.keys(shape).length) body = params; // the whole params (keeps their refinements and their OpenAPI name)
  else if (inBody.length > 0) body = z.strictObject(pick(shape, inBody));
  const spec = {
    method: rest.method, path: rest.path, summary: rest.summary, tag: rest.tag, scope: method.scope,
    ...(urlNames.length ? { params: z.strictObject(Object.fromEntries(urlNames.map((u) => [u, shape[pathParams[u]!]!]))) } : {}),
    ...(query.length ? { query: z.strictObject(Object.fromEntries(query.map((k) => [k, queryField(shape[k]!)]))) } : {}),
    // optional: a param a header may carry can come from the body too
    ...(rest.headers ? { headers: z.strictObject(Object.fromEntries(Object.entries(rest.headers).map(([param, header]) => [header, shape[param]!]))).partial() } : {}),
    ...(body ? { body } : {}),
    response: method.result,
    ...(rest.etag ? { responseHeaders: { ETag: `the result's \`${rest.etag}\` (an entity tag, RFC 9110 §8.8.3)` } } : {}),
    ...(rest.status ? { status: rest.status } : {}),
    ...(rest.errors ? { errors: [...rest.errors] } : {}),
  } satisfies RouteSpec;
  return { name, rest, spec, pathParams };
}

/** Number of path parameters: routes with fewer are mounted first, so `/api/approvals/grants` wins over `/api/approvals/{id}`. */
const paramCount = (r: MethodRoute) => Object.keys(r.pathParams).length;

/**
 * Mounts the REST routes of the methods `names` that declare a `rest` mapping (see {@link RestMapping}), static
 * paths before parameterised ones. The router checks the scope and validates path, query and body; the route
 * then reads the mapped headers (validated with the param's schema), calls the method's handler with the merged
 * params (validated once, never re-read) and sends the `etag` result field as the `ETag` header.
 */
export function mountMethodRoutes(router: Router, registry: DaemonRegistry, names: readonly string[]): void {
  const routes = names
    .flatMap((name) => {
      const method = (registry.specs as Record<string, MethodSpec>)[name];
      return method?.rest ? [methodRoute(name, method)] : [];
    })
    .sort((a, b) => paramCount(a) - paramCount(b));
  for (const route of routes) {
    const { rest, pathParams, name, spec } = route;
    const headers = Object.entries(rest.headers ?? {});
    router.route(spec, async ({ params, query, body, principal, c }) => {
      const input: Record<string, unknown> = { ...(rest.body ? { [rest.body]: body } : (body as object | undefined)), ...query };
      for (const [url, param] of Object.entries(pathParams)) input[param] = (params as Record<string, unknown>)[url];
      if (spec.headers) {
        const given = Object.fromEntries(headers.flatMap(([, header]) => (c.req.header(header) === undefined ? [] : [[header, c.req.header(header)]])));
        const checked = validate(spec.headers, given, "header") as Record<string, unknown>;
        for (const [param, header] of headers) if (checked[header] !== undefined) input[param] = checked[header];
      }
      const out = await registry.invoke(name, input, { transport: "rest", principal });
      if (rest.etag) c.header("ETag", String((out as Record<string, unknown>)[rest.etag]));
      return out;
    });
  }
}
