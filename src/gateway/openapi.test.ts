import { describe, expect, it } from "vitest";
import { z } from "zod";
import { buildOpenApi, openApiPath, operationId } from "./openapi.js";
import { defineRoute, queryInt, type RouteSpec } from "./router.js";

interface TreeNode {
  name: string;
  children: TreeNode[];
}
const Tree: z.ZodType<TreeNode> = z.lazy(() => z.strictObject({ name: z.string(), children: z.array(Tree) }));

const specs: RouteSpec[] = [
  defineRoute({ method: "get", path: "/api/health", summary: "health", tag: "agent", public: true, response: z.strictObject({ status: z.literal("ok") }) }),
  defineRoute({
    method: "put", path: "/api/vault/notes/{path+}", summary: "write a note", tag: "vault", scope: "vault", errors: [409],
    params: z.strictObject({ path: z.string() }), query: z.strictObject({ limit: queryInt(1, 10).optional(), mode: z.enum(["a", "b"]) }),
    body: z.strictObject({ text: z.string(), tags: z.array(z.string()).default([]) }), response: z.strictObject({ root: Tree, self: Tree }),
  }),
  defineRoute({ method: "post", path: "/api/models/{name}/test", summary: "test", tag: "models", scope: ["chat", "read"], body: z.strictObject({ prompt: z.string().optional() }), params: z.strictObject({ name: z.string() }), response: z.strictObject({ ok: z.boolean() }) }),
];

describe("buildOpenApi", () => {
  const doc = buildOpenApi(specs, { version: "1.2.3" }) as any;

  it("documents paths with greedy params as plain params and stable operation ids", () => {
    expect(openApiPath("/api/vault/notes/{path+}")).toBe("/api/vault/notes/{path}");
    expect(operationId({ method: "post", path: "/api/models/{name}/test" })).toBe("postModelsByNameTest");
    expect(Object.keys(doc.paths)).toEqual(["/api/health", "/api/vault/notes/{path}", "/api/models/{name}/test"]);
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info.version).toBe("1.2.3");
  });

  it("marks public routes and adds 400/401 and declared errors with the error schema", () => {
    expect(doc.paths["/api/health"].get.security).toEqual([]);
    expect(Object.keys(doc.paths["/api/health"].get.responses)).toEqual(["200"]);
    const put = doc.paths["/api/vault/notes/{path}"].put;
    expect(put.security).toEqual([{ bearerAuth: ["vault"] }, { bearerAuth: ["admin"] }]);
    expect(put["x-agentd-scopes"]).toEqual(["vault"]);
    expect(doc.paths["/api/models/{name}/test"].post.security).toEqual([{ bearerAuth: ["chat"] }, { bearerAuth: ["read"] }, { bearerAuth: ["admin"] }]);
    expect(Object.keys(put.responses)).toEqual(["200", "400", "401", "403", "409"]);
    expect(put.responses["401"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/Error" });
    expect(doc.components.schemas.Error.required).toEqual(["error"]);
  });

  it("describes parameters, request bodies (input) and responses (output) as JSON Schema 2020-12", () => {
    const put = doc.paths["/api/vault/notes/{path}"].put;
    expect(put.parameters.map((p: any) => [p.name, p.in, p.required])).toEqual([["path", "path", true], ["limit", "query", false], ["mode", "query", true]]);
    expect(put.parameters[0].description).toMatch(/May contain `\/`/);
    expect(put.parameters[1].schema).toMatchObject({ type: "integer", minimum: 1, maximum: 10 });
    const body = doc.components.schemas[put.requestBody.content["application/json"].schema.$ref.split("/").pop()];
    expect(body.required).toEqual(["text"]);
    expect(put.requestBody.required).toBe(true);
    // an optional-only body may be left out
    expect(doc.paths["/api/models/{name}/test"].post.requestBody.required).toBe(false);
  });

  it("hoists nested $defs into components with working references", () => {
    const ref: string = doc.paths["/api/vault/notes/{path}"].put.responses["200"].content["application/json"].schema.$ref;
    const json = JSON.stringify(doc.components.schemas);
    expect(Object.keys(doc.components.schemas).some((k) => k.startsWith("PutVaultNotesByPathResponse_"))).toBe(true);
    expect(json).not.toContain("#/$defs/");
    for (const m of json.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) expect(doc.components.schemas[m[1]!]).toBeDefined();
    expect(doc.components.schemas[ref.split("/").pop()!]).toBeDefined();
  });
});
