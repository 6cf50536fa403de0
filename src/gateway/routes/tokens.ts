import { z } from "zod";
import type { DaemonContext } from "../../feature.js";
import { defineRoute, type Router } from "../router.js";
import { TokenCreateParams, TokenCreated, TokenInfo, TokenName } from "../../tokens/token-service.js";

/** The token routes (admin only): list, create (the token is in the answer, once), revoke. */
export const tokenRoutes = {
  list: defineRoute({
    method: "get", path: "/api/tokens", tag: "tokens", scope: "admin",
    summary: "Named tokens: name, scopes, creation, expiry and last use (never the token itself).",
    response: z.strictObject({ tokens: z.array(TokenInfo) }),
  }),
  create: defineRoute({
    method: "post", path: "/api/tokens", tag: "tokens", scope: "admin", status: 201, errors: [409],
    summary: "Create a named token with scopes (chat, read, vault, bridge, admin) and an optional lifetime; the token is shown once.",
    body: TokenCreateParams, response: TokenCreated,
  }),
  revoke: defineRoute({
    method: "delete", path: "/api/tokens/{name}", tag: "tokens", scope: "admin", errors: [404],
    summary: "Revoke a named token: it stops working at once (401).",
    params: z.strictObject({ name: TokenName }), response: z.strictObject({ revoked: z.literal(true) }),
  }),
};

/** Named tokens over REST for admins (issue 15); the CLI (`agentd token`) works on the same table. */
export function mountTokenRoutes(router: Router, ctx: Pick<DaemonContext, "tokens" | "logger">): void {
    const log = ctx.logger.child({ component: "tokens" });
    router
      .route(tokenRoutes.list, () => ({ tokens: ctx.tokens.list() }))
      .route(tokenRoutes.create, ({ body, principal }) => {
        const created = ctx.tokens.create(body);
        log.info({ name: body.name, scopes: created.info.scopes, expiresAt: created.info.expiresAt, by: principal.name }, "token created");
        return created;
      })
      .route(tokenRoutes.revoke, ({ params, principal }) => {
        ctx.tokens.revoke(params.name);
        log.info({ name: params.name, by: principal.name }, "token revoked");
        return { revoked: true as const };
      });
}
