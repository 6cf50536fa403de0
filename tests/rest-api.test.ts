// Walks every operation of GET /api/openapi.json on a real daemon (issue 5): without a token → 401 with the JSON
// error body; with it → the documented success status and a body that validates against the documented schema.
// The table of fixtures below must name every operation: a route nobody exercised fails this test.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { z } from "zod";
import { startFakeLlm, type FakeLlm } from "./support/fake-llm.js";
import { scriptSideCalls } from "./support/agent-llm.js";
import { cleanup, initAgent, startDaemon, waitFor, type RunningDaemon } from "./support/daemon.js";

type Json = any;

/** What the table needs to call a route; values made by `setup` (a session…) are in `ctx`. */
interface Ctx {
  d: RunningDaemon;
  llm: FakeLlm;
  sessionId: string;
}

/**
 * How to call one operation. Anything left out comes from the document's examples (parameters, JSON body).
 * `status`: expect this documented status instead of the success one (say why in a comment).
 * `init`: build the request yourself (multipart). `last`: call it after every other route (it restarts…).
 */
interface Fixture {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  init?: () => RequestInit;
  status?: number;
  last?: boolean;
  after?: (res: { status: number; body: unknown }, ctx: Ctx) => void | Promise<void>;
}

/** Posts a message to a chat (no bridge runs: it stays pending) and returns its delivery id. */
async function postedDelivery(ctx: Ctx): Promise<string> {
  const res = await ctx.d.api("/api/messages", { method: "POST", body: JSON.stringify({ address: { platform: "telegram", chatId: "42" }, text: "fixture" }) });
  return ((await res.json()) as Json).delivery.id as string;
}

/** One entry per operation (`METHOD /path` as in the document). Add yours when you add a route. */
const FIXTURES: Record<string, Fixture | ((ctx: Ctx) => Fixture | Promise<Fixture>)> = {
  "GET /api/health": {},
  "GET /api/agent-info": {},
  "GET /api/sessions": {},
  "POST /api/sessions": {},
  "GET /api/sessions/{id}/messages": (ctx) => ({ params: { id: ctx.sessionId } }),
  "PATCH /api/sessions/{id}": (ctx) => ({ params: { id: ctx.sessionId }, body: { title: "Renamed" } }),
  "DELETE /api/sessions/{id}": async (ctx) => {
    const res = await ctx.d.api("/api/sessions", { method: "POST", body: JSON.stringify({ title: "to delete" }) });
    return { params: { id: ((await res.json()) as Json).session.id } };
  },
  "POST /api/login-codes": {},
  // a fresh one-time code from the bearer token; the answer is 204 with the session cookie
  "POST /api/login": async (ctx) => ({
    body: { code: ((await (await ctx.d.api("/api/login-codes", { method: "POST" })).json()) as Json).code },
    after: (res) => expect(res.status).toBe(204),
  }),
  "POST /api/logout": {},
  "POST /api/chat": (ctx) => ({ body: { text: "hello there", sessionId: ctx.sessionId } }),
  "POST /api/chat/abort": (ctx) => ({ body: { sessionId: ctx.sessionId } }),
  "POST /api/messages": {},
  "GET /api/deliveries": {},
  "GET /api/deliveries/{id}": async (ctx) => ({ params: { id: await postedDelivery(ctx) } }),
  // a delivery still pending: a retry answers it unchanged (a failed one would be offered again)
  "POST /api/deliveries/{id}/retry": async (ctx) => ({ params: { id: await postedDelivery(ctx) } }),
  // a text-only delivery has no file 0 (REST cannot attach files; tests/media-out.test.ts fetches a real one: 200)
  "GET /api/deliveries/{id}/attachments/{index}": async (ctx) => ({ params: { id: await postedDelivery(ctx), index: "0" }, status: 404 }),
  "GET /api/usage": {},
  "GET /api/usage/daily": {},
  "GET /api/usage/pricing": {},
  "POST /api/upload": {
    init: () => {
      const form = new FormData();
      form.append("file", new Blob(["hello"], { type: "text/plain" }), "note.txt");
      return { body: form };
    },
  },
  "GET /api/logs": {},
  "DELETE /api/logs": {},
  // the daemon runs with a dead npm registry: the update check answers its documented 503
  "POST /api/update": { status: 503 },
  "POST /api/restart": {
    last: true,
    after: async (_res, ctx) => {
      await waitFor(async () => (await ctx.d.api("/api/agent-info").catch(() => undefined))?.ok, "the daemon to come back after the restart");
    },
  },
  "GET /metrics": {},
  "GET /api/vault/notes": {},
  "GET /api/vault/notes/{path}": {},
  "PUT /api/vault/notes/{path}": {},
  "DELETE /api/vault/notes/{path}": {},
  "GET /api/vault/graph": {},
  "GET /api/vault/search": {},
  "GET /api/mcp": {},
  "GET /api/tools": {},
  "GET /api/bridges": {},
  "GET /api/config": {},
  // send back what GET showed (secrets masked): nothing may change
  "PUT /api/config": async (ctx) => ({
    body: await (await ctx.d.api("/api/config")).json(),
    after: (res) => expect((res.body as Json).changed).toEqual([]),
  }),
  "PATCH /api/config/{section}": {},
  "GET /api/models": {},
  "POST /api/models": {},
  "GET /api/models/active": {},
  "PUT /api/models/active": {},
  "GET /api/models/catalog": {},
  "GET /api/models/providers": {},
  "PUT /api/models/{name}": {},
  "DELETE /api/models/{name}": {},
  "POST /api/models/{name}/test": { after: (res) => expect((res.body as Json).ok).toBe(true) },
  "GET /api/providers": {},
  "POST /api/providers/test": (ctx) => ({ body: { baseUrl: ctx.llm.url }, after: (res) => expect((res.body as Json).ok).toBe(true) }),
  "GET /api/openapi.json": {},
  "GET /api/schedules": {},
  "POST /api/schedules": {},
  "GET /api/schedules/{id}": async (ctx) => ({ params: { id: await newJob(ctx) } }),
  "PATCH /api/schedules/{id}": async (ctx) => ({ params: { id: await newJob(ctx) } }),
  "DELETE /api/schedules/{id}": async (ctx) => ({ params: { id: await newJob(ctx) } }),
  "POST /api/schedules/{id}/run": async (ctx) => ({ params: { id: await newJob(ctx) } }),
  "GET /api/schedules/{id}/firings": async (ctx) => ({ params: { id: await newJob(ctx) } }),
  // this agent has no hooks: the documented 404 (tests/schedules.test.ts posts to a configured, signed one)
  "POST /api/hooks/{name}": { status: 404 },
  "GET /api/approvals": {},
  "GET /api/approvals/grants": {},
  "GET /api/audit": {},
  "GET /api/pairing": {},
  // no tool call has waited for approval here, no code was given: the documented 404s (tests/approvals.test.ts
  // answers real requests and codes through the Telegram stand-in)
  "GET /api/approvals/{id}": { status: 404 },
  "POST /api/approvals/{id}": { status: 404 },
  "DELETE /api/approvals/grants/{id}": { status: 404 },
  "POST /api/pairing/approve": { status: 404 },
  "DELETE /api/pairing/{platform}/{userId}": { status: 404 },
  "POST /api/memory": { after: (res) => expect((res.body as Json).line).toMatch(/Prefers morning meetings\.$/) },
  "GET /api/tokens": {},
  // creates the token of the example (open-webui), which DELETE /api/tokens/{name} revokes afterwards
  "POST /api/tokens": { after: (res) => expect((res.body as Json).token).toMatch(/^agentd_/) },
  "DELETE /api/tokens/{name}": {},
  "GET /v1/models": {},
  "POST /v1/chat/completions": { after: (res) => expect((res.body as Json).choices[0].message.content).toEqual(expect.any(String)) },
  "POST /mcp": { after: (res) => expect((res.body as Json).result.structuredContent.hits).toEqual(expect.any(Array)) },
};

/** Creates a job over REST (a cron job far from due) and returns its id. */
async function newJob(ctx: Ctx): Promise<string> {
  const res = await ctx.d.api("/api/schedules", { method: "POST", body: JSON.stringify({ name: "fixture", cron: "0 0 1 1 *", prompt: "p" }) });
  return ((await res.json()) as { id: string }).id;
}

/** Creation before reading, reading before changing, deleting after: `POST /api/models` runs before `PUT`/`DELETE /api/models/{name}`. */
const METHOD_ORDER = ["post", "get", "put", "patch", "delete"];

interface Operation {
  key: string;
  method: string;
  path: string;
  op: Json;
}

/** Inlines `#/components/schemas/…` references (a recursive one becomes `{}`: anything). */
function deref(doc: Json, schema: Json, seen: string[] = []): Json {
  if (Array.isArray(schema)) return schema.map((s) => deref(doc, s, seen));
  if (!schema || typeof schema !== "object") return schema;
  if (typeof schema.$ref === "string") {
    const name = schema.$ref.replace("#/components/schemas/", "");
    if (seen.includes(name)) return {};
    const target = doc.components.schemas[name];
    if (!target) throw new Error(`dangling $ref ${schema.$ref}`);
    return deref(doc, target, [...seen, name]);
  }
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, deref(doc, v, seen)]));
}

/** Checks `body` against the JSON Schema the document gives for `status` of an operation. */
function expectDocumented(doc: Json, o: Operation, status: number, body: unknown, contentType: string): void {
  const response = o.op.responses[String(status)];
  expect(response, `${o.key}: status ${status} is not documented`).toBeDefined();
  if (status === 204) {
    expect(body, `${o.key}: a 204 has no body`).toBe("");
    expect(response.content, `${o.key}: a 204 documents no body`).toBeUndefined();
    return;
  }
  const type = contentType.split(";")[0]!.trim();
  const media = Object.entries(response.content ?? {}).find(([t]) => t.split(";")[0]!.trim() === type)?.[1] as Json;
  expect(media, `${o.key}: ${status} with content type ${type} is not documented`).toBeDefined();
  const schema = z.fromJSONSchema(deref(doc, media.schema));
  const r = schema.safeParse(body);
  expect(r.success, `${o.key}: the ${status} body does not match the documented schema: ${r.error?.message}\n${JSON.stringify(body).slice(0, 800)}`).toBe(true);
}

let llm: FakeLlm;
let d: RunningDaemon;
let doc: Json;
let ops: Operation[];
let root: string;

beforeAll(async () => {
  llm = await startFakeLlm();
  scriptSideCalls(llm);
  const { dir } = await initAgent({ llmUrl: llm.url });
  root = join(dir, "..");
  d = await startDaemon(dir, { env: { npm_config_registry: "http://127.0.0.1:9/" } });
  const res = await d.api("/api/openapi.json");
  expect(res.status).toBe(200);
  doc = await res.json();
  ops = Object.entries(doc.paths as Record<string, Record<string, Json>>).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, method, path, op })));
});
afterAll(async () => {
  await d?.kill();
  await llm?.close();
  if (root) cleanup(root);
});

describe("the OpenAPI document", () => {
  it("is OpenAPI 3.1 and lists every route, itself included", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(ops.map((o) => o.key)).toEqual(expect.arrayContaining(["GET /api/health", "GET /api/openapi.json", "PATCH /api/config/{section}", "POST /api/models/{name}/test"]));
  });

  it("has a fixture for every operation and an example for every JSON body", () => {
    const missing = ops.filter((o) => !(o.key in FIXTURES)).map((o) => `add a fixture for ${o.key} in tests/rest-api.test.ts`);
    expect(missing).toEqual([]);
    const stale = Object.keys(FIXTURES).filter((k) => !ops.some((o) => o.key === k)).map((k) => `fixture for ${k}, which is not a route`);
    expect(stale).toEqual([]);
    const noExample = ops
      .filter((o) => o.op.requestBody?.content?.["application/json"] && o.op.requestBody.content["application/json"].example === undefined)
      .map((o) => `add an example for ${o.key} in src/gateway/openapi-examples.ts`);
    expect(noExample).toEqual([]);
  });
});

describe("every operation", () => {
  it("answers 401 with a JSON error without a token (except public ones)", async () => {
    for (const o of ops) {
      const isPublic = Array.isArray(o.op.security) && o.op.security.length === 0;
      const url = `${d.url}${o.path.replace(/\{(\w+)\}/g, "x")}`;
      const res = await fetch(url, { method: o.method.toUpperCase(), ...(o.method === "get" || o.method === "delete" ? {} : { body: "{}" }) });
      if (isPublic) {
        // public: never 401; sign-in with an empty body is a 400 (bad input), the rest succeed
        expect(res.status, o.key).toBe(o.key === "POST /api/login" ? 400 : res.status < 400 ? res.status : -1);
        await res.arrayBuffer();
        continue;
      }
      expect(res.status, o.key).toBe(401);
      expect(res.headers.get("content-type"), o.key).toMatch(/^application\/json/);
      const body = (await res.json()) as Json;
      // the OpenAI-compatible routes answer in OpenAI's error shape (code invalid_api_key), the others in agentd's
      expect(body.error.code, o.key).toBe(o.path.startsWith("/v1/") ? "invalid_api_key" : "unauthorized");
      expectDocumented(doc, o, 401, body, "application/json");
    }
    const wrong = await fetch(`${d.url}/api/config`, { headers: { authorization: "Bearer not-the-token" } });
    expect(wrong.status).toBe(401);
  });

  it("answers the documented status and schema with the token", async () => {
    const sessionRes = await d.api("/api/sessions", { method: "POST", body: JSON.stringify({ title: "fixture" }) });
    const ctx: Ctx = { d, llm, sessionId: ((await sessionRes.json()) as Json).session.id };
    const ordered = [...ops].sort((a, b) => {
      const la = isLast(a) ? 1 : 0;
      const lb = isLast(b) ? 1 : 0;
      return la - lb || METHOD_ORDER.indexOf(a.method) - METHOD_ORDER.indexOf(b.method);
    });
    for (const o of ordered) {
      const entry = FIXTURES[o.key];
      if (!entry) throw new Error(`add a fixture for ${o.key} in tests/rest-api.test.ts`);
      const f = typeof entry === "function" ? await entry(ctx) : entry;
      const examples = Object.fromEntries((o.op.parameters ?? []).map((p: Json) => [`${p.in}:${p.name}`, p.example]));
      const path = o.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
        const v = f.params?.[name] ?? examples[`path:${name}`];
        if (v === undefined) throw new Error(`${o.key}: no value for path parameter ${name}: add it to the fixture or the route's example`);
        return encodeURIComponent(v);
      });
      const query = new URLSearchParams(f.query ?? Object.fromEntries((o.op.parameters ?? []).filter((p: Json) => p.in === "query" && p.example !== undefined).map((p: Json) => [p.name, p.example])));
      const jsonBody = f.body ?? o.op.requestBody?.content?.["application/json"]?.example;
      const init: RequestInit = f.init ? f.init() : jsonBody !== undefined ? { body: JSON.stringify(jsonBody), headers: { "content-type": "application/json" } } : {};
      const res = await fetch(`${d.url}${path}${query.size ? `?${query}` : ""}`, {
        ...init, method: o.method.toUpperCase(), headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${d.token}` },
      });
      const expected = f.status ?? Number(Object.keys(o.op.responses).find((s) => s.startsWith("2")));
      const type = res.headers.get("content-type") ?? "";
      const body = type.startsWith("application/json") ? await res.json() : await res.text();
      expect(res.status, `${o.key}: ${JSON.stringify(body).slice(0, 500)}`).toBe(expected);
      expect(type, o.key).not.toMatch(/text\/html/);
      expectDocumented(doc, o, expected, body, type);
      await f.after?.({ status: res.status, body }, ctx);
    }
  });
});

function isLast(o: Operation): boolean {
  const f = FIXTURES[o.key];
  return typeof f === "object" && f.last === true;
}
