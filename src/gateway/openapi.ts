import { z } from "zod";
import { ANY_SCOPE } from "../../protocol/scopes.js";
import { WireError } from "../../protocol/errors.js";
import { ROUTE_EXAMPLES, routeKey } from "./openapi-examples.js";
import { defineRoute, type RouteSpec, type Router } from "./router.js";
import { requiredScopes } from "../../protocol/scopes.js";

/** A JSON Schema (draft 2020-12) or OpenAPI object: plain JSON. */
type Json = Record<string, unknown>;

/** Loose shape of the OpenAPI 3.1 document (`GET /api/openapi.json`). */
export const OpenApiDocument = z.looseObject({
  openapi: z.string(),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.record(z.string(), z.unknown())),
  components: z.looseObject({ schemas: z.record(z.string(), z.unknown()) }),
});
/** See {@link OpenApiDocument}. */
export type OpenApiDocument = z.infer<typeof OpenApiDocument>;

/** `GET /api/openapi.json`: the OpenAPI document of every route, this one included. */
export const openApiRoute = defineRoute({
  method: "get", path: "/api/openapi.json", scope: ANY_SCOPE, tag: "meta",
  summary: "OpenAPI 3.1 document of every REST route, generated from the zod schemas the routes validate with.",
  response: OpenApiDocument,
});

const REASONS: Record<number, string> = {
  200: "OK", 201: "Created", 204: "No content", 400: "Bad request: `error.details.path` names the bad field",
  401: "Missing, wrong, revoked or expired bearer token", 403: "The token lacks the scope this route declares", 404: "Not found", 409: "Conflict with the current state", 413: "Body too large",
  429: "Rate limited", 500: "Internal error", 502: "The model provider failed", 503: "Not ready yet; retry later",
  504: "Timed out", 507: "The disk or database refused the write",
};

const ERROR_REF = { $ref: "#/components/schemas/Error" };
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The OpenAPI path of a route: `{name+}` (greedy, may hold `/`) is documented as `{name}`. */
export function openApiPath(path: string): string {
  return path.replace(/\{(\w+)\+\}/g, "{$1}");
}

/** A stable operation id from method and path: `post /api/models/{name}/test` → `postModelsByNameTest`. */
export function operationId(spec: Pick<RouteSpec, "method" | "path">): string {
  const parts = spec.path.replace(/^\/api(?=\/|$)/, "").split("/").filter(Boolean).map((seg) => {
    const param = /^\{(\w+)\+?\}$/.exec(seg);
    return param ? `By${cap(param[1]!)}` : seg.split(/[^A-Za-z0-9]+/).filter(Boolean).map(cap).join("");
  });
  return spec.method + parts.join("");
}

function jsonSchema(schema: z.ZodType, io: "input" | "output"): Json {
  const s = z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "any" }) as Json;
  delete s.$schema;
  return s;
}

/** Collects component schemas, one per (zod schema, io), and hoists nested `$defs` into `components.schemas`. */
class Components {
  readonly schemas: Record<string, Json> = { Error: jsonSchema(z.strictObject({ error: WireError }), "output") };
  private readonly seen = new Map<z.ZodType, Partial<Record<"input" | "output", string>>>();

  ref(schema: z.ZodType, io: "input" | "output", name: string): Json {
    const known = this.seen.get(schema)?.[io];
    if (known) return { $ref: `#/components/schemas/${known}` };
    const s = jsonSchema(schema, io);
    const defs = (s.$defs ?? {}) as Record<string, Json>;
    delete s.$defs;
    const rename = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(rename);
      if (v && typeof v === "object") {
        const o = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rename(x)]));
        if (typeof o.$ref === "string" && o.$ref.startsWith("#/$defs/")) o.$ref = `#/components/schemas/${name}_${o.$ref.slice(8)}`;
        if (o.$ref === "#") o.$ref = `#/components/schemas/${name}`;
        return o;
      }
      return v;
    };
    for (const [k, d] of Object.entries(defs)) this.schemas[`${name}_${k}`] = rename(d) as Json;
    this.schemas[name] = rename(s) as Json;
    this.seen.set(schema, { ...this.seen.get(schema), [io]: name });
    return { $ref: `#/components/schemas/${name}` };
  }
}

function parameters(obj: z.ZodObject | undefined, where: "path" | "query" | "header", spec: RouteSpec, examples: Record<string, string> | undefined): Json[] {
  if (!obj) return [];
  const s = jsonSchema(obj, "input") as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(s.properties ?? {}).map(([name, schema]) => {
    const greedy = where === "path" && spec.path.includes(`{${name}+}`);
    const own = typeof schema.description === "string" ? schema.description : undefined;
    const description = greedy ? [own?.replace(/([^.!?])$/, "$1."), "May contain `/` (the rest of the path)."].filter(Boolean).join(" ") : own;
    return {
      name, in: where, required: where === "path" || (s.required ?? []).includes(name), schema,
      ...(description ? { description } : {}),
      ...(examples?.[name] !== undefined ? { example: examples[name] } : {}),
    };
  });
}

/**
 * Builds the OpenAPI 3.1 document of `specs` (every route the router mounted: method routes and the REST-only routes of src/gateway/routes/):
 * request and response schemas from the routes' zod schemas (`z.toJSONSchema`, draft 2020-12; `input` for
 * requests, `output` for responses), path and query parameters, bearer security (none for `public` routes),
 * the error statuses (`{ error: { code, message, details? } }`; 400 for routes that validate input, 401 for
 * routes behind the token), and the request examples of `ROUTE_EXAMPLES` (openapi-examples.ts).
 */
export function buildOpenApi(specs: readonly RouteSpec[], info: { version: string; title?: string }): OpenApiDocument {
  const components = new Components();
  const paths: Record<string, Record<string, Json>> = {};
  const tags: string[] = [];
  for (const spec of specs) {
    if (!tags.includes(spec.tag)) tags.push(spec.tag);
    const id = operationId(spec);
    const example = ROUTE_EXAMPLES[routeKey(spec)];
    const op: Json = { operationId: id, summary: spec.summary, tags: [spec.tag] };
    if (spec.public) op.security = [];
    else {
      // any one of the declared scopes, or admin (OpenAPI 3.1: role names for non-OAuth schemes; requirements are OR-ed)
      const scopes = requiredScopes(spec.scope);
      op.security = [...scopes.filter((s) => s !== "admin"), "admin"].map((s) => ({ bearerAuth: [s] }));
      op["x-agentd-scopes"] = [...scopes];
    }
    const params = [
      ...parameters(spec.params, "path", spec, example?.params), ...parameters(spec.query, "query", spec, example?.query), ...parameters(spec.headers, "header", spec, undefined),
    ];
    if (params.length > 0) op.parameters = params;
    if (spec.body || spec.raw?.request) {
      const type = spec.raw?.request ?? "application/json";
      const schema = spec.body ? (spec.raw?.request ? jsonSchema(spec.body, "input") : components.ref(spec.body, "input", `${cap(id)}Body`)) : {};
      const media: Json = { schema };
      if (example?.body !== undefined) media.example = example.body;
      op.requestBody = { required: spec.raw?.request !== undefined || !(spec.body?.safeParse({}).success ?? true), content: { [type]: media } };
      if (spec.form) (op.requestBody as { content: Json }).content["multipart/form-data"] = { schema: jsonSchema(spec.form, "input") };
    }
    const status = spec.status ?? 200;
    const content: Json = spec.raw?.response
      ? { [spec.raw.response]: { schema: jsonSchema(spec.response, "output") } }
      : { "application/json": { schema: components.ref(spec.response, "output", `${cap(id)}Response`) } };
    if (spec.sse) content["text/event-stream"] = { schema: { type: "string", description: "Server-Sent Events (event = name, data = JSON payload, id = seq)." } };
    // 204 No Content has no body (RFC 9110 §15.3.5)
    const responses: Record<string, Json> = { [status]: status === 204 ? { description: REASONS[status] } : { description: REASONS[status] ?? "OK", content } };
    if (spec.responseHeaders) {
      responses[status]!.headers = Object.fromEntries(Object.entries(spec.responseHeaders).map(([name, description]) => [name, { description, schema: { type: "string" } }]));
    }
    const errorStatuses = new Set(spec.errors ?? []);
    if (spec.params || spec.query || (spec.body && !spec.raw?.request)) errorStatuses.add(400);
    if (!spec.public) {
      errorStatuses.add(401);
      errorStatuses.add(403);
    }
    const errorSchema = spec.errorBody ? components.ref(spec.errorBody, "output", `${cap(spec.tag)}Error`) : ERROR_REF;
    for (const s of [...errorStatuses].sort((a, b) => a - b)) {
      responses[s] = { description: REASONS[s] ?? "Error", content: { "application/json": { schema: errorSchema } } };
    }
    op.responses = responses;
    (paths[openApiPath(spec.path)] ??= {})[spec.method] = op;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: info.title ?? "agentd REST API",
      version: info.version,
      description: "REST API of one agentd daemon (one port: REST under /api, WebSocket at /ws, OpenAI-compatible /v1, MCP at /mcp). "
        + "Every route but GET /api/health needs `Authorization: Bearer <token>`: the owner token (AGENTD_TOKEN in the agent folder's .env, "
        + "scope admin) or a named token (`agentd token create NAME --scope chat,vault`). Each operation lists the scopes that may call it "
        + "(`security`, `x-agentd-scopes`; admin always may); another token gets 403 forbidden. "
        + "Errors are JSON: { error: { code, message, details? } } (under /v1: OpenAI's { error: { message, type, param, code } }).",
    },
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    tags: tags.map((name) => ({ name })),
    security: [{ bearerAuth: [] }],
    paths,
    components: { securitySchemes: { bearerAuth: { type: "http", scheme: "bearer" } }, schemas: components.schemas },
  };
}

/**
 * Mounts `GET /api/openapi.json`. `specs()` is read at the first request (all features have declared their
 * routes by then); the document is built once and rebuilt only when the number of routes changes.
 */
export function mountOpenApiRoute(router: Router, opts: { specs: () => readonly RouteSpec[]; version: string }): void {
  let cached: { count: number; doc: OpenApiDocument } | undefined;
  router.route(openApiRoute, () => {
    const specs = opts.specs();
    if (cached?.count !== specs.length) cached = { count: specs.length, doc: buildOpenApi(specs, { version: opts.version }) };
    return cached.doc;
  });
}
