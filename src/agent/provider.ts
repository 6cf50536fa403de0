import type OpenAI from "openai";
import { apiKeyHint, apiKeySource, type ApiKeySource } from "../config/api-key-source.js";
import type { Config, ModelConfig, ProviderConfig } from "../config/schema.js";
import { AgentdError, NotFoundError } from "../errors.js";

type OpenAIModule = typeof import("openai");
let sdk: Promise<OpenAIModule> | undefined;

/**
 * Loads the `openai` SDK once, on the first model call (or provider test): an idle daemon does not carry its
 * ~8 MB; the first turn pays the import once (~40 ms, docs/performance.md).
 */
export function loadOpenAI(): Promise<OpenAIModule> {
  sdk ??= import("openai");
  return sdk;
}

/** A model resolved from config: its name, the provider's model id, and the client to call it with. */
export interface ResolvedModel {
  name: string;
  config: ModelConfig;
  providerName: string;
  provider: ProviderConfig;
  client: OpenAI;
}

/**
 * Keeps one `openai` SDK client per provider (base URL, key, timeout, retries) and resolves model names.
 * Clients are rebuilt when the provider's config changes (live config edits).
 */
export class ProviderPool {
  private clients = new Map<string, { config: ProviderConfig; key: string; client: OpenAI }>();

  /** `dir`: the agent folder, to say where a refused or missing API key is set ({@link keySource}). */
  constructor(
    private readonly config: () => Config,
    private readonly dir?: string,
  ) {}

  /** Where the API key of `provider` is set (variable and file), for error messages; undefined without `dir`. */
  keySource(provider: string): ApiKeySource | undefined {
    return this.dir === undefined ? undefined : apiKeySource(this.dir, this.config(), provider);
  }

  /** Resolves a configured model name. Throws {@link NotFoundError} when it is not under `models`. */
  async resolve(name: string): Promise<ResolvedModel> {
    const cfg = this.config();
    const model = cfg.models[name];
    if (!model) throw new NotFoundError(`no model named "${name}"`, { model: name });
    const provider = cfg.providers[model.provider];
    if (!provider) throw new NotFoundError(`no provider named "${model.provider}"`, { provider: model.provider });
    return { name, config: model, providerName: model.provider, provider, client: await this.client(model.provider, provider) };
  }

  /** The models to try for a turn: `preferred` (or the active model) then the configured fallbacks, no repeats. */
  candidates(preferred?: string): string[] {
    const cfg = this.config();
    return [...new Set([preferred ?? cfg.model, ...cfg.fallbackModels])].filter((n) => cfg.models[n]);
  }

  private async client(name: string, p: ProviderConfig): Promise<OpenAI> {
    const cached = this.clients.get(name);
    // the same config object (no reload since): no need to serialize it on every model call
    if (cached?.config === p) return cached.client;
    const key = JSON.stringify(p);
    if (cached && cached.key === key) {
      cached.config = p;
      return cached.client;
    }
    const { default: OpenAIClass } = await loadOpenAI();
    const client = new OpenAIClass({
      baseURL: p.baseUrl,
      apiKey: p.apiKey || "not-needed",
      timeout: p.timeoutMs,
      maxRetries: p.maxRetries,
      ...(p.headers ? { defaultHeaders: p.headers } : {}),
    });
    this.clients.set(name, { config: p, key, client });
    return client;
  }
}

/**
 * Maps an error from the `openai` SDK (or fetch) to an {@link AgentdError}: HTTP 429 → `rate_limited`,
 * other statuses and connection failures → `model_error` (retryable for 5xx and connections), SDK timeouts →
 * `timeout`. The provider's own message is kept (it never holds our key) and the status is in `details`.
 * With `key` (where the provider's API key is set), a 401/403 (RFC 9110: the credentials were refused) says which
 * key in which file to check, and any failure while no key is set says where to put one (issue 17, item 11).
 */
export function modelError(err: unknown, model: string, key?: ApiKeySource): AgentdError {
  if (err instanceof AgentdError) return err;
  const e = err as { status?: number; name?: string; message?: string; error?: { message?: string } };
  const msg = (e.error?.message ?? e.message ?? "unknown error").slice(0, 300);
  const keyNote = key?.empty ? ` (${apiKeyHint(key)})` : "";
  if (e.name === "APIConnectionTimeoutError") return new AgentdError("timeout", `model ${model} timed out${keyNote}`, { retryable: true, details: { model } });
  if (typeof e.status === "number") {
    if ((e.status === 401 || e.status === 403) && key) {
      return new AgentdError("model_error", `model ${model} was refused by provider ${key.provider} (${e.status}: ${msg}): ${apiKeyHint(key)}`, { retryable: false, details: { model, status: e.status } });
    }
    const code = e.status === 429 ? "rate_limited" : "model_error";
    return new AgentdError(code, `model ${model} answered ${e.status}: ${msg}${keyNote}`, { retryable: e.status === 429 || e.status >= 500, details: { model, status: e.status } });
  }
  return new AgentdError("model_error", `model ${model} is unreachable: ${msg}${keyNote}`, { retryable: true, details: { model } });
}

/** True when a failed call should move on to the next fallback model: 429, 5xx, timeouts, connection errors. */
export function shouldFallback(err: AgentdError): boolean {
  return err.retryable === true && (err.code === "rate_limited" || err.code === "model_error" || err.code === "timeout");
}
