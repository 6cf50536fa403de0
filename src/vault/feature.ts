import { join } from "node:path";
import { z } from "zod";
import type { FeatureFactory } from "../feature.js";
import { defineRoute, queryInt } from "../gateway/router.js";
import { vaultMethods, VaultWriteParams } from "../../protocol/vault.js";
import { Vault } from "./vault.js";
import { vaultTools } from "./tools.js";

const notePath = z.strictObject({ path: z.string().min(1).max(1024) });
/** The `If-Match` header (RFC 9110 §13.1.1) or, for clients that cannot set headers, `ifMatch` in the body. */
const ifMatchOf = (header: string | undefined, body?: string) => header ?? body;

/** The vault's REST routes; each mirrors a `vault.*` protocol method. */
export const vaultRoutes = {
  list: defineRoute({
    method: "get", path: "/api/vault/notes", scope: vaultMethods["vault.list"].scope, summary: "List notes (path, title, tags, size, mtime), optionally under a folder.", tag: "vault",
    query: z.strictObject({ folder: z.string().max(1024).optional() }), response: vaultMethods["vault.list"].result, errors: [400],
  }),
  read: defineRoute({
    method: "get", path: "/api/vault/notes/{path+}", scope: vaultMethods["vault.read"].scope, summary: "Read a note: content, frontmatter, links, backlinks; ETag header.", tag: "vault",
    params: notePath, response: vaultMethods["vault.read"].result, errors: [400, 404],
  }),
  write: defineRoute({
    method: "put", path: "/api/vault/notes/{path+}", scope: vaultMethods["vault.write"].scope, summary: "Create or replace a note (content and/or frontmatter); If-Match gives 409 when it changed, as does a path under a note (a file, not a folder).", tag: "vault",
    params: notePath, body: VaultWriteParams.omit({ path: true }), response: vaultMethods["vault.write"].result, errors: [400, 409],
  }),
  delete: defineRoute({
    method: "delete", path: "/api/vault/notes/{path+}", scope: vaultMethods["vault.delete"].scope, summary: "Delete a note; If-Match gives 409 when it changed.", tag: "vault",
    params: notePath, response: vaultMethods["vault.delete"].result, errors: [400, 404, 409],
  }),
  graph: defineRoute({ method: "get", path: "/api/vault/graph", scope: vaultMethods["vault.graph"].scope, summary: "The link graph; unresolved links are nodes flagged `unresolved`.", tag: "vault", response: vaultMethods["vault.graph"].result }),
  search: defineRoute({
    method: "get", path: "/api/vault/search", scope: vaultMethods["vault.search"].scope, summary: "Full-text search (bm25, prefix on the last word) with <mark> snippets; tag filter; limit.", tag: "vault",
    query: z.strictObject({ q: z.string().max(1000), tag: z.string().min(1).max(200).optional(), limit: queryInt(1, 100).optional() }),
    response: vaultMethods["vault.search"].result, errors: [400],
  }),
};

/**
 * The vault feature: `DIR/vault/` indexed into `DIR/vault-index.db` (a derived cache) in the background after
 * the port opens, watched for outside edits, served over REST and the `vault.*` protocol methods, and given to
 * the agent as the `vault_*` tools.
 */
export const vaultFeature: FeatureFactory = (ctx) => {
  const vault = new Vault({ dir: join(ctx.dir, "vault"), indexDbPath: join(ctx.dir, "vault-index.db"), logger: ctx.logger });
  const tools = vaultTools(vault);
  /** The answer to a write, once search and backlinks see it (issue 17 item 8). */
  const settled = async <T>(out: T): Promise<T> => {
    await vault.settled();
    return out;
  };
  return {
    name: "vault",
    tools: () => tools,
    handlers: (registry) => {
      registry
        .on("vault.list", (p) => vault.list(p))
        .on("vault.read", (p) => vault.read(p.path))
        .on("vault.write", ({ path, ifMatch, ...change }) => settled(vault.write(path, change, { ifMatch })))
        .on("vault.delete", (p) => settled(vault.delete(p.path, { ifMatch: p.ifMatch })))
        .on("vault.graph", () => vault.graph())
        .on("vault.search", (p) => vault.search(p));
    },
    routes: (router) => {
      router
        .route(vaultRoutes.list, ({ query }) => vault.list(query))
        .route(vaultRoutes.read, ({ params, c }) => {
          const note = vault.read(params.path);
          c.header("ETag", note.etag);
          return note;
        })
        .route(vaultRoutes.write, async ({ params, body, c }) => {
          const { ifMatch, ...change } = body;
          const out = await settled(vault.write(params.path, change, { ifMatch: ifMatchOf(c.req.header("if-match"), ifMatch) }));
          c.header("ETag", out.etag);
          return out;
        })
        .route(vaultRoutes.delete, ({ params, c }) => settled(vault.delete(params.path, { ifMatch: c.req.header("if-match") })))
        .route(vaultRoutes.graph, () => vault.graph())
        .route(vaultRoutes.search, ({ query }) => vault.search(query));
    },
    start: () => vault.start(),
    stop: () => vault.stop(),
  };
};
