import type { z } from "zod";
import { streamSSE } from "hono/streaming";
import type { Logger } from "pino";
import type { Config } from "../../config/schema.js";
import type { Usage } from "../../../protocol/chat.js";
import { NotFoundError, ValidationError, toWireError } from "../../errors.js";
import type { Store } from "../../store/store.js";
import { defineRoute, type Router } from "../router.js";
import type { DaemonRegistry } from "../method-registry.js";
import type { Principal } from "../scopes.js";
import { finishTurn, freshSession, keyedSession, startTurn } from "../chat-turn.js";
import { ChatCompletion, ChatCompletionBody, ModelListResponse, OpenAiErrorBody, type OpenAiMessage } from "./openai-schema.js";
import { httpStatusOf } from "../../../protocol/errors.js";

/** The OpenAI-compatible routes (issue 15), declared like every REST route (scope, schemas, OpenAPI). */
export const openAiRoutes = {
  completions: defineRoute({
    method: "post", path: "/v1/chat/completions", tag: "openai", scope: "chat", sse: true, errors: [403, 404, 429, 502, 504],
    summary: "OpenAI-compatible chat completion: the last user message goes to the session keyed by `user` (or X-Session-Id); without a key the conversation runs in a fresh session. `stream: true` answers with SSE chunks.",
    body: ChatCompletionBody, response: ChatCompletion, errorBody: OpenAiErrorBody,
  }),
  models: defineRoute({
    method: "get", path: "/v1/models", tag: "openai", scope: ["chat", "read"],
    summary: "OpenAI-compatible model list: the agent, and the agent with each configured model (`name/model`).",
    response: ModelListResponse, errorBody: OpenAiErrorBody,
  }),
};

/** What the OpenAI adapter needs from the daemon. */
export interface OpenAiDeps {
  registry: DaemonRegistry;
  store: Store;
  config: () => Config;
  startedAt: number;
  logger: Logger;
}

/** The text of a message's content (text parts joined by newlines); image or audio parts are refused. */
function textOf(m: OpenAiMessage, index: number): string {
  if (m.content == null) return "";
  if (typeof m.content === "string") return m.content;
  return m.content.map((p, j) => {
    if (p.type !== "text" || typeof p.text !== "string") throw new ValidationError(`messages[${index}].content[${j}]: only text parts are supported (send files through POST /api/upload and POST /api/chat)`, { path: `messages[${index}].content[${j}]` });
    return p.text;
  }).join("\n");
}

/**
 * Resolves `model` (`agentd`, the agent's name, optionally `/<model>`) to the configured model to use, or
 * undefined for the session's default. Throws a `not_found` naming `model` for anything else.
 */
export function resolveModel(model: string, cfg: Config): string | undefined {
  const slash = model.indexOf("/");
  const agent = slash < 0 ? model : model.slice(0, slash);
  const name = slash < 0 ? undefined : model.slice(slash + 1);
  if ((agent !== "agentd" && agent !== cfg.name) || (name !== undefined && !cfg.models[name])) {
    throw new NotFoundError(`The model \`${model}\` does not exist: use "${cfg.name}" or "${cfg.name}/<model>" with one of: ${Object.keys(cfg.models).join(", ")}`, { path: "model" });
  }
  return name;
}

const openAiUsage = (u: Usage) => ({
  prompt_tokens: u.promptTokens, completion_tokens: u.completionTokens, total_tokens: u.promptTokens + u.completionTokens,
  prompt_tokens_details: { cached_tokens: u.cachedTokens },
});

/**
 * Maps the request's messages onto a session and the text to send: with a session key (`user` or
 * `X-Session-Id`), the last user message goes to the keyed session (the agent keeps its own history); without
 * one, earlier user/assistant messages seed a fresh session. System, developer and tool messages are not sent:
 * the agent's SOUL.md, USER.md and MEMORY.md are its system prompt and it runs its own tools.
 */
function mapMessages(body: z.output<typeof ChatCompletionBody>, key: string | undefined, store: Store, principal: Principal): { sessionId: string; text: string } {
  const last = body.messages.length - 1;
  const lastMessage = body.messages[last]!;
  if (lastMessage.role !== "user") throw new ValidationError(`messages[${last}].role: the last message must be a user message (got ${lastMessage.role})`, { path: `messages[${last}].role` });
  const text = textOf(lastMessage, last);
  if (!text.trim()) throw new ValidationError(`messages[${last}].content: the last user message is empty`, { path: `messages[${last}].content` });
  if (key) return { sessionId: keyedSession(store, principal, "openai", key), text };
  const history = body.messages.slice(0, last).flatMap((m, i) =>
    (m.role === "user" || m.role === "assistant") && m.content != null ? [{ role: m.role, content: textOf(m, i) }] : []);
  return { sessionId: freshSession(store, principal, history), text };
}

/** Mounts `POST /v1/chat/completions` and `GET /v1/models` (errors in OpenAI's shape: see openai-errors.ts). */
export function mountOpenAiRoutes(router: Router, deps: OpenAiDeps): void {
  router.route(openAiRoutes.models, () => {
    const cfg = deps.config();
    const created = Math.floor(deps.startedAt / 1000);
    const ids = [cfg.name, ...Object.keys(cfg.models).map((m) => `${cfg.name}/${m}`)];
    return { object: "list" as const, data: ids.map((id) => ({ id, object: "model" as const, created, owned_by: "agentd" })) };
  });

  router.route(openAiRoutes.completions, async ({ body, c, principal }) => {
    const model = resolveModel(body.model, deps.config());
    const key = body.user ?? c.req.header("x-session-id") ?? undefined;
    const { sessionId, text } = mapMessages(body, key, deps.store, principal);
    const idempotencyKey = c.req.header("idempotency-key");
    const turn = await startTurn(deps.registry, { text, sessionId, ...(model ? { model } : {}), ...(idempotencyKey ? { idempotencyKey } : {}) }, principal, "openai");
    const id = `chatcmpl-${turn.sent.runId}`;
    const created = Math.floor(Date.now() / 1000);
    c.header("X-Agentd-Session-Id", turn.sent.sessionId);
    c.header("X-Agentd-Run-Id", turn.sent.runId);

    if (body.stream) {
      const includeUsage = body.stream_options?.include_usage === true;
      const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
        id, object: "chat.completion.chunk", created, model: body.model, system_fingerprint: null,
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(includeUsage ? { usage: null } : {}),
      });
      return streamSSE(c, async (stream) => {
        await stream.writeSSE({ data: JSON.stringify(chunk({ role: "assistant", content: "" }, null)) });
        try {
          let written = Promise.resolve(); // deltas leave in order, each after the previous write
          const done = await finishTurn(turn, (t) => {
            written = written.then(() => stream.writeSSE({ data: JSON.stringify(chunk({ content: t }, null)) }));
          });
          await written;
          await stream.writeSSE({ data: JSON.stringify(chunk({}, done.status === "max_steps" ? "length" : "stop")) });
          if (includeUsage) {
            await stream.writeSSE({ data: JSON.stringify({ id, object: "chat.completion.chunk", created, model: body.model, system_fingerprint: null, choices: [], usage: openAiUsage(done.usage) }) });
          }
          await stream.writeSSE({ data: "[DONE]" });
        } catch (err) {
          // mid-stream failures: an `error` object in a data line, as OpenAI sends them (the SDKs raise it)
          const wire = toWireError(err);
          // (a client that went away cannot read it: the run still ends and is stored, as on every surface)
          await stream.writeSSE({ data: JSON.stringify({ error: { message: wire.message, type: httpStatusOf[wire.code] >= 500 ? "server_error" : "invalid_request_error", param: null, code: wire.code } }) })
            .catch(() => undefined);
        }
      });
    }
    const done = await finishTurn(turn);
    return {
      id, object: "chat.completion" as const, created, model: body.model, system_fingerprint: null,
      choices: [{ index: 0, message: { role: "assistant" as const, content: done.text, refusal: null }, finish_reason: done.status === "max_steps" ? "length" as const : "stop" as const, logprobs: null }],
      usage: openAiUsage(done.usage),
    };
  });
}
