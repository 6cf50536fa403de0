import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { DaemonContext, FeatureFactory } from "../feature.js";
import { AgentdError, NotFoundError } from "../errors.js";
import { defineRoute } from "../gateway/router.js";
import { ChatSendResult } from "../../protocol/chat.js";
import { SIGNATURE_HEADER, verifySignature } from "./signature.js";
import { renderHookPrompt } from "./template.js";

/** `POST /api/hooks/{name}`, declared once for the router and the OpenAPI document. */
export const hookRoute = defineRoute({ scope: "chat",
  method: "post", path: "/api/hooks/{name}", tag: "hooks", status: 202, errors: [400, 404, 413],
  summary: "Trigger webhook `hooks.<name>`: signed with `X-Hub-Signature-256` (GitHub's HMAC-SHA256 of the raw body) when the hook has a `secret`, else the bearer token. Answers 202 with the run id; a replayed `X-GitHub-Delivery` runs once.",
  params: z.strictObject({ name: z.string().min(1).max(64) }),
  raw: { request: "application/json" },
  body: z.unknown().describe("any JSON body (the raw bytes are what the signature covers)"),
  response: ChatSendResult,
});

/** Paths of hooks that carry a `secret`: they skip the bearer check (their signature is checked instead). */
export function signedHookPaths(hooks: Record<string, { secret?: string | undefined }>): string[] {
  return Object.entries(hooks).filter(([, h]) => h.secret).map(([name]) => `/api/hooks/${name}`);
}

/** The session of a hook's runs: `own` = one session per hook, bound as chat `("hook", name)`; `new` = a fresh one per delivery. */
function hookSession(ctx: DaemonContext, name: string, mode: "own" | "new"): string {
  if (mode === "new") return ctx.store.createSession(`Webhook: ${name}`).id;
  const b = ctx.store.getBinding("hook", name);
  if (b && ctx.store.sessionHead(b.sessionId)) return b.sessionId;
  const s = ctx.store.createSession(`Webhook: ${name}`);
  ctx.store.setBinding("hook", name, "", s.id);
  return s.id;
}

/**
 * Webhooks in (issue 11): `POST /api/hooks/<name>` for each `hooks.<name>` of agentd.yaml. The order of checks:
 * the body size (`maxBytes`, 413), then the signature (401, nothing stored or run), then the run: the prompt
 * template filled with the JSON body, in the hook's session, its reply delivered to `deliverTo` through the outbox.
 * Answers 202 at once with `{ runId, sessionId, duplicate }`; a replayed delivery id (`X-GitHub-Delivery` by
 * default) answers the first run's id with `duplicate: true` and runs nothing.
 */
export const hooksFeature: FeatureFactory = (ctx) => {
  const logger = ctx.logger.child({ component: "hooks" });
  return {
    name: "hooks",
    routes: (router) => {
      router.route(hookRoute, async ({ params, c }) => {
        const hook = ctx.config.get().hooks[params.name];
        if (!hook) throw new NotFoundError(`no webhook named ${params.name}`, { hook: params.name });
        const declared = Number(c.req.header("content-length") ?? "0");
        const tooLarge = () => new AgentdError("payload_too_large", `the body is larger than hooks.${params.name}.maxBytes (${hook.maxBytes} bytes)`, { details: { maxBytes: hook.maxBytes } });
        if (declared > hook.maxBytes) throw tooLarge();
        const raw = new Uint8Array(await c.req.arrayBuffer());
        if (raw.byteLength > hook.maxBytes) throw tooLarge();
        if (hook.secret && !verifySignature(hook.secret, raw, c.req.header(SIGNATURE_HEADER))) {
          logger.warn({ hook: params.name }, "webhook refused: missing or wrong X-Hub-Signature-256");
          throw new AgentdError("unauthorized", "missing or wrong X-Hub-Signature-256 signature", { details: { hook: params.name } });
        }
        const text = new TextDecoder().decode(raw);
        let body: unknown = text;
        try {
          body = text.trim() ? JSON.parse(text) : {};
        } catch {
          // not JSON (e.g. form-encoded): the prompt gets the text as it came
        }
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(c.req.header())) headers[k.toLowerCase()] = v;
        const deliveryId = headers[hook.deliveryIdHeader] ?? randomUUID();
        const idempotencyKey = `hook:${params.name}:${deliveryId}`.slice(0, 200);
        const sessionId = ctx.store.findRunByKey(idempotencyKey)?.sessionId ?? hookSession(ctx, params.name, hook.session);
        const prompt = `[Webhook "${params.name}"]\n${renderHookPrompt(hook.prompt, body, headers)}`;
        const sent = ctx.runner.send({ text: prompt, idempotencyKey, sessionId }, undefined, { deliverTo: hook.deliverTo ?? [] });
        logger.info({ hook: params.name, runId: sent.runId, duplicate: sent.duplicate }, "webhook accepted");
        return sent;
      });
    },
  };
};
