import { randomUUID } from "node:crypto";
import type { DaemonContext } from "../feature.js";
import { AgentdError } from "../errors.js";
import type { HookConfig } from "../config/sections/hooks.js";
import { SIGNATURE_HEADER, verifySignature } from "./signature.js";
import { renderHookPrompt } from "./template.js";

/** Paths of hooks that carry a `secret`: they skip the bearer check (their signature is checked instead). */
export function signedHookPaths(hooks: Record<string, { secret?: string | undefined }>): string[] {
  return Object.entries(hooks).filter(([, h]) => h.secret).map(([name]) => `/api/hooks/${name}`);
}

/** The session of a hook's runs: `own` = one session per hook, bound as chat `("hook", name)`; `new` = a fresh one per delivery. */
function hookSession(ctx: Pick<DaemonContext, "store">, name: string, mode: "own" | "new"): string {
  if (mode === "new") return ctx.store.createSession(`Webhook: ${name}`).id;
  const b = ctx.store.getBinding("hook", name);
  if (b && ctx.store.sessionHead(b.sessionId)) return b.sessionId;
  const s = ctx.store.createSession(`Webhook: ${name}`);
  ctx.store.setBinding("hook", name, "", s.id);
  return s.id;
}

/**
 * Accepts one delivery of webhook `hooks.<name>` (issue 11) whose raw body (already within `maxBytes`) and
 * lower-case headers the gateway read: checks the signature (GitHub's `X-Hub-Signature-256`, {@link SIGNATURE_HEADER}) when the
 * hook has a `secret` (401 `unauthorized`, nothing stored or run), then starts the run: the prompt template filled
 * with the JSON body (or the text as it came when it is not JSON), in the hook's session, its reply delivered to
 * `deliverTo` through the outbox. A replayed delivery id (`X-GitHub-Delivery` by default) answers the first run's
 * id with `duplicate: true` and runs nothing.
 */
export function acceptWebhook(ctx: Pick<DaemonContext, "store" | "runner" | "logger">, name: string, hook: HookConfig, raw: Uint8Array, headers: Record<string, string>) {
  if (hook.secret && !verifySignature(hook.secret, raw, headers[SIGNATURE_HEADER])) {
    ctx.logger.warn({ hook: name }, "webhook refused: missing or wrong X-Hub-Signature-256");
    throw new AgentdError("unauthorized", "missing or wrong X-Hub-Signature-256 signature", { details: { hook: name } });
  }
  const text = new TextDecoder().decode(raw);
  let body: unknown = text;
  try {
    body = text.trim() ? JSON.parse(text) : {};
  } catch {
    // not JSON (e.g. form-encoded): the prompt gets the text as it came
  }
  const deliveryId = headers[hook.deliveryIdHeader] ?? randomUUID();
  const idempotencyKey = `hook:${name}:${deliveryId}`.slice(0, 200);
  const sessionId = ctx.store.findRunByKey(idempotencyKey)?.sessionId ?? hookSession(ctx, name, hook.session);
  const prompt = `[Webhook "${name}"]\n${renderHookPrompt(hook.prompt, body, headers)}`;
  const sent = ctx.runner.send({ text: prompt, idempotencyKey, sessionId }, undefined, { deliverTo: hook.deliverTo ?? [] });
  ctx.logger.info({ hook: name, runId: sent.runId, duplicate: sent.duplicate }, "webhook accepted");
  return sent;
}
