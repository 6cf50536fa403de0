import { performance } from "node:perf_hooks";
import { z } from "zod";
import { WireError } from "../../protocol/errors.js";
import { loadOpenAI, modelError, type ProviderPool } from "./provider.js";
import { toWireError } from "../errors.js";

/** Longest a smoke test of a model or provider may take, in ms (no SDK retries). */
export const CHECK_TIMEOUT_MS = 10_000;

/** The prompt of a model smoke test when the caller gives none. */
export const SMOKE_PROMPT = "Reply with the single word: ok";

/**
 * Result of `POST /api/models/{name}/test`: `ok`, the round trip in ms, the model name, its provider, the
 * provider's model id (as the provider reports it), the start of the reply, or the provider's `error`.
 */
export const ModelTestResult = z.strictObject({
  ok: z.boolean(),
  latencyMs: z.number().int().min(0),
  name: z.string(),
  provider: z.string(),
  model: z.string(),
  reply: z.string().optional(),
  error: WireError.optional(),
});
/** See {@link ModelTestResult}. */
export type ModelTestResult = z.infer<typeof ModelTestResult>;

/** Result of `POST /api/providers/test`: `ok`, the round trip of `GET /models` in ms, the model ids (at most 500), or the `error`. */
export const ProviderTestResult = z.strictObject({
  ok: z.boolean(),
  latencyMs: z.number().int().min(0),
  modelCount: z.number().int().min(0).optional(),
  models: z.array(z.string()).optional(),
  error: WireError.optional(),
});
/** See {@link ProviderTestResult}. */
export type ProviderTestResult = z.infer<typeof ProviderTestResult>;

/** Turns a provider failure into a wire error whose message passes through `redact` and never holds `secrets`. */
function reportError(err: unknown, label: string, redact: (s: string) => string, secrets: string[] = []): WireError {
  const wire = toWireError(modelError(err, label));
  let message = redact(wire.message);
  for (const s of secrets) if (s) message = message.split(s).join("[redacted]");
  return { ...wire, message };
}

/**
 * Sends one short non-streamed prompt to a configured model through the same client as chats, with
 * {@link CHECK_TIMEOUT_MS} and no retries. Provider failures are reported (`ok: false`, `error`), not thrown.
 * Throws `NotFoundError` for an unknown model name.
 */
export async function testModel(pool: ProviderPool, name: string, opts: { prompt?: string | undefined; redact: (s: string) => string; timeoutMs?: number }): Promise<ModelTestResult> {
  const m = await pool.resolve(name);
  const started = performance.now();
  const base = { name, provider: m.providerName, model: m.config.model };
  try {
    const res = await m.client.chat.completions.create(
      {
        model: m.config.model,
        messages: [{ role: "user", content: opts.prompt ?? SMOKE_PROMPT }],
        ...(m.config.maxOutputTokens ? { max_tokens: m.config.maxOutputTokens } : {}),
      },
      { timeout: opts.timeoutMs ?? CHECK_TIMEOUT_MS, maxRetries: 0 },
    );
    const reply = res.choices?.[0]?.message?.content ?? "";
    return { ok: true, latencyMs: Math.round(performance.now() - started), ...base, model: res.model || m.config.model, reply: opts.redact(reply.slice(0, 500)) };
  } catch (err) {
    return { ok: false, latencyMs: Math.round(performance.now() - started), ...base, error: reportError(err, name, opts.redact) };
  }
}

/**
 * Checks a provider config without saving it: `GET {baseUrl}/models` with its key and headers, with
 * {@link CHECK_TIMEOUT_MS} and no retries. Failures are reported (`ok: false`, `error`), not thrown.
 */
export async function testProvider(
  provider: { baseUrl: string; apiKey?: string | undefined; headers?: Record<string, string> | undefined },
  opts: { redact: (s: string) => string; timeoutMs?: number },
): Promise<ProviderTestResult> {
  const { default: OpenAI } = await loadOpenAI();
  const client = new OpenAI({
    baseURL: provider.baseUrl,
    apiKey: provider.apiKey || "not-needed",
    timeout: opts.timeoutMs ?? CHECK_TIMEOUT_MS,
    maxRetries: 0,
    ...(provider.headers ? { defaultHeaders: provider.headers } : {}),
  });
  const started = performance.now();
  try {
    const page = await client.models.list();
    const ids = page.data.map((m) => m.id);
    return { ok: true, latencyMs: Math.round(performance.now() - started), modelCount: ids.length, models: ids.slice(0, 500) };
  } catch (err) {
    const secrets = [provider.apiKey ?? "", ...Object.values(provider.headers ?? {})];
    return { ok: false, latencyMs: Math.round(performance.now() - started), error: reportError(err, "provider", opts.redact, secrets) };
  }
}
