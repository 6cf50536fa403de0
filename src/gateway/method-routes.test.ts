import { describe, expect, it } from "vitest";
import { Hono } from "hono";
import { z } from "zod";
import { defineMethod } from "../../protocol/method-spec.js";
import { methods } from "../../protocol/methods.js";
import { toWireError } from "../errors.js";
import { MethodRegistry, type DaemonRegistry } from "./method-registry.js";
import { methodRoute, mountMethodRoutes } from "./method-routes.js";
import { buildOpenApi } from "./openapi.js";
import { Router } from "./router.js";
import { OWNER } from "./scopes.js";

const specs = {
  "notes.write": defineMethod({
    scope: "vault", description: "write",
    params: z.strictObject({ path: z.string().min(1).max(20), text: z.string(), ifMatch: z.string().min(1).optional() }),
    result: z.strictObject({ path: z.string(), etag: z.string() }),
    rest: { method: "put", path: "/api/notes/{path+}", tag: "notes", summary: "Write.", headers: { ifMatch: "if-match" }, etag: "etag", errors: [409] },
  }),
  "notes.history": defineMethod({
    scope: "read", description: "history",
    params: z.strictObject({ noteId: z.string().max(8), limit: z.number().int().min(1).max(50).default(10), before: z.string().optional() }),
    result: z.strictObject({ got: z.unknown() }),
    rest: { method: "get", path: "/api/notes/{id}/history", pathParams: { id: "noteId" }, tag: "notes", summary: "History." },
  }),
  "notes.patch": defineMethod({
    scope: "vault", description: "patch",
    params: z.strictObject({ id: z.string(), patch: z.strictObject({ title: z.string() }) }),
    result: z.strictObject({ got: z.unknown() }),
    rest: { method: "patch", path: "/api/notes/{id}", body: "patch", tag: "notes", summary: "Patch." },
  }),
  "notes.info": defineMethod({ scope: "read", description: "info", params: z.strictObject({}), result: z.strictObject({ got: z.unknown() }), rest: { method: "get", path: "/api/notes/info", tag: "notes", summary: "Info." } }),
  "notes.get": defineMethod({ scope: "read", description: "get", params: z.strictObject({ id: z.string() }), result: z.strictObject({ got: z.unknown() }), rest: { method: "get", path: "/api/notes/{id}", tag: "notes", summary: "Get." } }),
};

function app() {
  const registry = new MethodRegistry(specs);
  const seen: unknown[] = [];
  const echo = (p: unknown) => (seen.push(p), { got: p });
  registry
    .on("notes.write", (p) => (seen.push(p), { path: p.path, etag: `"v-${p.text}"` }))
    .on("notes.get", echo).on("notes.history", echo).on("notes.patch", echo).on("notes.info", echo);
  const hono = new Hono();
  hono.use("*", async (c, next) => (c.set("principal" as never, OWNER as never), next()));
  hono.onError((err, c) => c.json({ error: toWireError(err) }, 400));
  const router = new Router(hono);
  mountMethodRoutes(router, registry as unknown as DaemonRegistry, registry.names());
  return { hono, router, seen };
}

describe("methodRoute", () => {
  it("cuts path, query, body and header schemas out of the method's params", () => {
    const write = methodRoute("notes.write", specs["notes.write"]).spec;
    expect(Object.keys(write.params!.shape)).toEqual(["path"]);
    expect(write.query).toBeUndefined();
    expect(Object.keys((write.body as z.ZodObject).shape)).toEqual(["text", "ifMatch"]);
    expect(Object.keys(write.headers!.shape)).toEqual(["if-match"]);
    expect(write.status).toBeUndefined();
    expect(write).toMatchObject({ scope: "vault", errors: [409], responseHeaders: { ETag: expect.stringContaining("etag") } });
    const history = methodRoute("notes.history", specs["notes.history"]).spec;
    expect(Object.keys(history.params!.shape)).toEqual(["id"]);
    expect(Object.keys(history.query!.shape)).toEqual(["limit", "before"]);
    expect(history.body).toBeUndefined();
    expect(methodRoute("notes.patch", specs["notes.patch"]).spec.body).toBe(specs["notes.patch"].params.shape.patch);
  });

  it("refuses a mapping that names a param the method lacks", () => {
    const bad = { ...specs["notes.get"], rest: { ...specs["notes.get"].rest!, path: "/api/x/{nope}" } };
    expect(() => methodRoute("notes.get", bad)).toThrow(/"nope", which is not a param/);
  });

  it("documents every declared method in the OpenAPI document, with its header and ETag", () => {
    const doc = buildOpenApi(app().router.specs, { version: "1" }) as any;
    const put = doc.paths["/api/notes/{path}"].put;
    expect(put.parameters.map((p: any) => [p.name, p.in, p.required])).toEqual([["path", "path", true], ["if-match", "header", false]]);
    expect(put.responses["200"].headers.ETag.schema).toEqual({ type: "string" });
    expect(put["x-agentd-scopes"]).toEqual(["vault"]);
    expect(doc.paths["/api/notes/{id}/history"].get.parameters.map((p: any) => [p.name, p.in])).toEqual([["id", "path"], ["limit", "query"], ["before", "query"]]);
  });
});

describe("mountMethodRoutes", () => {
  it("merges path, query, body and headers into the method's params, and sends the ETag", async () => {
    const { hono, seen } = app();
    const res = await hono.request("/api/notes/a%2Fb%25c.md", { method: "PUT", body: JSON.stringify({ text: "1", ifMatch: "body" }), headers: { "if-match": '"v-0"' } });
    expect(res.status).toBe(200);
    expect(res.headers.get("etag")).toBe('"v-1"');
    // decoded once: %25 is a literal %, and the header wins over the body's field
    expect(seen.pop()).toEqual({ path: "a/b%c.md", text: "1", ifMatch: '"v-0"' });
    await hono.request("/api/notes/n1/history?limit=5", {});
    expect(seen.pop()).toEqual({ noteId: "n1", limit: 5 });
    await hono.request("/api/notes/n1", { method: "PATCH", body: JSON.stringify({ title: "T" }) });
    expect(seen.pop()).toEqual({ id: "n1", patch: { title: "T" } });
  });

  it("mounts static paths before parameterised ones, whatever the declaration order", async () => {
    const { hono, seen } = app();
    await hono.request("/api/notes/info");
    expect(seen.pop()).toEqual({});
    await hono.request("/api/notes/other");
    expect(seen.pop()).toEqual({ id: "other" });
  });

  it("names the bad field by where it came from", async () => {
    const { hono, seen } = app();
    const bad = async (url: string, init?: RequestInit) => ((await (await hono.request(url, init)).json()) as { error: { message: string } }).error.message;
    expect(await bad("/api/notes/n1/history?limit=x")).toMatch(/^query\.limit: /);
    expect(await bad("/api/notes/n1/history?other=1")).toBe("query: unknown key: other");
    expect(await bad("/api/notes/too-long-an-id/history")).toMatch(/^path\.id: /);
    expect(await bad("/api/notes/a.md", { method: "PUT", body: JSON.stringify({ text: 1 }) })).toMatch(/^body\.text: /);
    expect(await bad("/api/notes/a.md", { method: "PUT", body: JSON.stringify({ text: "1", path: "b.md" }) })).toBe("body: unknown key: path");
    expect(await bad("/api/notes/a.md", { method: "PUT", body: JSON.stringify({ text: "1" }), headers: { "if-match": "" } })).toMatch(/^header\.if-match: /);
    expect(seen).toEqual([]);
  });

  it("maps every method of the protocol that declares REST onto a path its params can fill", () => {
    const names = Object.entries(methods).filter(([, m]) => m.rest).map(([n]) => n);
    expect(names.length).toBeGreaterThan(30);
    for (const name of names) expect(() => methodRoute(name, methods[name as keyof typeof methods] as never)).not.toThrow();
  });
});
