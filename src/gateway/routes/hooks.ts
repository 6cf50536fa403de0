import { z } from "zod";
import { ChatSendResult } from "../../../protocol/chat.js";
import { AgentdError, NotFoundError } from "../../errors.js";
import type { DaemonContext } from "../../feature.js";
import { acceptWebhook } from "../../hooks/webhooks.js";
import { defineRoute, type Router } from "../router.js";

/** `POST /api/hooks/{name}`, declared once for the router and the OpenAPI document. */
export const hookRoute = defineRoute({ scope: "chat",
  method: "post", path: "/api/hooks/{name}", tag: "hooks", status: 202, errors: [400, 404, 413],
  summary: "Trigger webhook `hooks.<name>`: signed with `X-Hub-Signature-256` (GitHub's HMAC-SHA256 of the raw body) when the hook has a `secret`, else the bearer token. Answers 202 with the run id; a replayed `X-GitHub-Delivery` runs once.",
  params: z.strictObject({ name: z.string().min(1).max(64) }),
  raw: { request: "application/json" },
  body: z.unknown().describe("any JSON body (the raw bytes are what the signature covers)"),
  response: ChatSendResult,
});

/**
 * Mounts `POST /api/hooks/<name>` for each `hooks.<name>` of agentd.yaml. The order of checks: the hook (404),
 * the body size (`maxBytes`: the declared `Content-Length`, then the bytes read; 413), then the signature and the
 * run ({@link acceptWebhook}). Answers 202 at once with `{ runId, sessionId, duplicate }`.
 */
export function mountHookRoutes(router: Router, ctx: Pick<DaemonContext, "config" | "store" | "runner" | "logger">): void {
  const deps = { store: ctx.store, runner: ctx.runner, logger: ctx.logger.child({ component: "hooks" }) };
  router.route(hookRoute, async ({ params, c }) => {
    const hook = ctx.config.get().hooks[params.name];
    if (!hook) throw new NotFoundError(`no webhook named ${params.name}`, { hook: params.name });
    const declared = Number(c.req.header("content-length") ?? "0");
    const tooLarge = () => new AgentdError("payload_too_large", `the body is larger than hooks.${params.name}.maxBytes (${hook.maxBytes} bytes)`, { details: { maxBytes: hook.maxBytes } });
    if (declared > hook.maxBytes) throw tooLarge();
    const raw = new Uint8Array(await c.req.arrayBuffer());
    if (raw.byteLength > hook.maxBytes) throw tooLarge();
    // Fetch's Headers give lower-case names
    return acceptWebhook(deps, params.name, hook, raw, c.req.header());
  });
}
