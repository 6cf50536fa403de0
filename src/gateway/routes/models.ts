import { z } from "zod";
import type { ProviderPool } from "../../agent/provider.js";
import { findPrice } from "../../agent/pricing.js";
import { dirname } from "node:path";
import { expandEnv } from "../../config/load.js";
import { providerKeyNames } from "../../config/provider-env.js";
import { maskConfig, unmaskSecrets } from "../../config/mask.js";
import { PROVIDER_CATALOG, KnownProvider } from "../../config/provider-catalog.js";
import { ModelTestResult, ProviderTestResult, testModel, testProvider } from "../../agent/provider-check.js";
import { ModelConfig, ModelPrice, ProviderConfig, type Config } from "../../config/schema.js";
import { ConflictError, NotFoundError, ValidationError } from "../../errors.js";
import { defineRoute, type Router } from "../router.js";
import { writeConfig, type ConfigRouteDeps } from "./config.js";

/** A model name (a key under `models`): letters, digits, `.`, `_`, `-`, at most 64. */
const ModelName = ModelConfig.shape.provider;
/** Names that would collide with the fixed routes under `/api/models/`. */
const RESERVED_NAMES = new Set(["active", "catalog", "providers"]);

/** A configured model as the API lists it: its name, its config, and whether it is the active one. */
export const ModelEntry = ModelConfig.extend({ name: z.string(), active: z.boolean() });
/** A configured provider as the API lists it: name, config (key and header values masked), the models it serves. */
export const ProviderEntry = ProviderConfig.extend({ name: z.string(), models: z.array(z.string()) });
/** `GET /api/models`: the active model, the fallbacks, every model and every provider. */
export const ModelList = z.strictObject({
  active: z.string(),
  fallbackModels: z.array(z.string()),
  models: z.array(ModelEntry),
  providers: z.array(ProviderEntry),
});
/** `GET|PUT /api/models/active`: the active model's name, the fallbacks, and the active model's entry. */
export const ActiveModel = z.strictObject({ model: z.string(), fallbackModels: z.array(z.string()), entry: ModelEntry });
/** A model with its price per million tokens (null when unknown) and where the price came from. */
export const CatalogEntry = ModelConfig.extend({
  name: z.string(),
  active: z.boolean(),
  price: ModelPrice.nullable(),
  priceSource: z.enum(["builtin", "config"]).nullable(),
});
/** Body of `POST /api/providers/test`: a provider to try (`baseUrl`…), or `name` of a configured one (fields given override it). */
export const ProviderTestBody = z.strictObject({
  name: ModelName.optional(),
  baseUrl: z.url({ protocol: /^https?$/ }).optional(),
  apiKey: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
});

const nameParam = z.strictObject({ name: ModelName });

/** The model and provider routes (issue 5). */
export const modelRoutes = {
  list: defineRoute({ method: "get", path: "/api/models", scope: "read", tag: "models", summary: "Configured models and providers (keys masked), the active model and the fallbacks.", response: ModelList }),
  create: defineRoute({
    method: "post", path: "/api/models", scope: "admin", tag: "models", status: 201, errors: [400, 409],
    summary: "Add a model (a name for a provider's model id). Applies at once.",
    body: ModelConfig.extend({ name: ModelName }), response: z.strictObject({ model: ModelEntry }),
  }),
  active: defineRoute({ method: "get", path: "/api/models/active", scope: "read", tag: "models", summary: "The active model and the fallbacks.", response: ActiveModel }),
  setActive: defineRoute({
    method: "put", path: "/api/models/active", scope: "admin", tag: "models", errors: [400, 404],
    summary: "Choose the active model (and optionally the fallbacks). The next chat turn uses it.",
    body: z.strictObject({ model: ModelName, fallbackModels: z.array(ModelName).optional() }), response: ActiveModel,
  }),
  catalog: defineRoute({ method: "get", path: "/api/models/catalog", scope: "read", tag: "models", summary: "Configured models with their price per million tokens (config `pricing`, else the built-in table).", response: z.strictObject({ models: z.array(CatalogEntry) }) }),
  known: defineRoute({ method: "get", path: "/api/models/providers", scope: "read", tag: "models", summary: "Known OpenAI-compatible providers: base URL, key variable, an example model.", response: z.strictObject({ providers: z.array(KnownProvider) }) }),
  replace: defineRoute({
    method: "put", path: "/api/models/{name}", scope: "admin", tag: "models", errors: [400, 404],
    summary: "Replace a model's config. Applies at the next chat turn.",
    params: nameParam, body: ModelConfig, response: z.strictObject({ model: ModelEntry }),
  }),
  remove: defineRoute({
    method: "delete", path: "/api/models/{name}", scope: "admin", tag: "models", errors: [404, 409],
    summary: "Remove a model (also from the fallbacks). The active model cannot be removed (409).",
    params: nameParam, response: z.strictObject({ deleted: z.string() }),
  }),
  test: defineRoute({
    method: "post", path: "/api/models/{name}/test", scope: "admin", tag: "models", errors: [404],
    summary: "Smoke-test a model with a short prompt (10 s, no retries): ok, latency, model, or the provider's error (still 200).",
    params: nameParam, body: z.strictObject({ prompt: z.string().min(1).max(2000).optional() }), response: ModelTestResult,
  }),
  providers: defineRoute({ method: "get", path: "/api/providers", scope: "read", tag: "models", summary: "Configured providers (keys and header values masked) and the models they serve.", response: z.strictObject({ providers: z.array(ProviderEntry) }) }),
  testProvider: defineRoute({
    method: "post", path: "/api/providers/test", scope: "admin", tag: "models", errors: [400, 404],
    summary: "Check a provider config without saving it: GET {baseUrl}/models (10 s). Reports ok, latency and model ids, or the error (still 200). `${VAR}` expands only provider keys the agent's .env defines (others: 400).",
    body: ProviderTestBody, response: ProviderTestResult,
  }),
};

/** What the model routes need besides the config: the provider pool (to reach models) and the redactor. */
export interface ModelRouteDeps extends ConfigRouteDeps {
  pool: ProviderPool;
  redact: (text: string) => string;
}

function entry(cfg: Config, name: string): z.infer<typeof ModelEntry> {
  const m = cfg.models[name];
  if (!m) throw new NotFoundError(`no model named "${name}"`, { model: name });
  return { name, ...m, active: cfg.model === name };
}

function providerEntries(cfg: Config): Array<z.infer<typeof ProviderEntry>> {
  const masked = maskConfig(cfg.providers, ["providers"]);
  return Object.entries(masked).map(([name, p]) => ({ name, ...p, models: Object.keys(cfg.models).filter((m) => cfg.models[m]!.provider === name) }));
}

function activeOf(cfg: Config): z.infer<typeof ActiveModel> {
  return { model: cfg.model, fallbackModels: cfg.fallbackModels, entry: entry(cfg, cfg.model) };
}

/** The model's config as the client sent it (without the defaults the validated body has), minus `name`. */
function rawModel(sent: unknown): Record<string, unknown> {
  const { name: _name, ...rest } = sent as Record<string, unknown>;
  return rest;
}

/** Mounts the model and provider routes. Writes go through the config writer, so they persist and apply live. */
export function mountModelRoutes(router: Router, deps: ModelRouteDeps): void {
  const cfg = () => deps.store.get();
  const edit = (change: (next: Config) => void) => {
    const next = structuredClone(cfg());
    change(next);
    return writeConfig(deps, next as unknown as Record<string, unknown>);
  };
  router
    .route(modelRoutes.list, () => {
      const c = cfg();
      return { active: c.model, fallbackModels: c.fallbackModels, models: Object.keys(c.models).map((n) => entry(c, n)), providers: providerEntries(c) };
    })
    .route(modelRoutes.create, ({ body, sent }) => {
      if (RESERVED_NAMES.has(body.name)) throw new ValidationError(`name: "${body.name}" is reserved (it names a route under /api/models)`, { path: "name" });
      if (cfg().models[body.name]) throw new ConflictError(`a model named "${body.name}" exists; change it with PUT /api/models/${body.name}`, { model: body.name });
      const raw = rawModel(sent);
      edit((next) => {
        (next.models as Record<string, unknown>)[body.name] = raw;
      });
      return { model: entry(cfg(), body.name) };
    })
    .route(modelRoutes.active, () => activeOf(cfg()))
    .route(modelRoutes.setActive, ({ body }) => {
      for (const n of [body.model, ...(body.fallbackModels ?? [])]) entry(cfg(), n);
      edit((next) => {
        next.model = body.model;
        if (body.fallbackModels) next.fallbackModels = body.fallbackModels;
      });
      return activeOf(cfg());
    })
    .route(modelRoutes.catalog, () => {
      const c = cfg();
      return {
        models: Object.entries(c.models).map(([name, m]) => {
          const found = findPrice(m.model, c.pricing);
          return { name, ...m, active: c.model === name, price: found?.price ?? null, priceSource: found?.source ?? null };
        }),
      };
    })
    .route(modelRoutes.known, () => ({ providers: [...PROVIDER_CATALOG] }))
    .route(modelRoutes.replace, ({ params, sent }) => {
      entry(cfg(), params.name);
      const raw = rawModel(sent);
      edit((next) => {
        (next.models as Record<string, unknown>)[params.name] = raw;
      });
      return { model: entry(cfg(), params.name) };
    })
    .route(modelRoutes.remove, ({ params }) => {
      const c = cfg();
      entry(c, params.name);
      if (c.model === params.name) throw new ConflictError(`"${params.name}" is the active model; make another one active first (PUT /api/models/active)`, { model: params.name });
      if (c.uploads.transcriptionModel === params.name) throw new ConflictError(`"${params.name}" transcribes uploads (uploads.transcriptionModel); change that first`, { model: params.name });
      edit((next) => {
        delete next.models[params.name];
        next.fallbackModels = next.fallbackModels.filter((n) => n !== params.name);
      });
      return { deleted: params.name };
    })
    .route(modelRoutes.test, ({ params, body }) => testModel(deps.pool, params.name, { prompt: body.prompt, redact: deps.redact }))
    .route(modelRoutes.providers, () => ({ providers: providerEntries(cfg()) }))
    .route(modelRoutes.testProvider, ({ body }) => {
      if (!body.name && !body.baseUrl) throw new ValidationError("body: give baseUrl (a provider to try) or name (a configured provider)", { path: "baseUrl" });
      const c = cfg();
      const stored = body.name ? c.providers[body.name] : undefined;
      if (body.name && !stored) throw new NotFoundError(`no provider named "${body.name}"`, { provider: body.name });
      // `${VAR}` in the body is expanded from provider keys of the agent's .env only (never the token or the
      // daemon's other variables: the result goes to a URL the caller chooses); a masked key or header value
      // means the stored one of provider `name`
      const allowed = providerKeyNames(dirname(deps.writer.file));
      const refuse = (name: string) =>
        allowed.has(name) ? undefined : `\${${name}} is not a provider key in the agent's .env; a provider test expands only ${allowed.size > 0 ? [...allowed].join(", ") : "provider keys defined in .env (none are)"}`;
      const expanded = expandEnv(body, process.env, "body", { refuse }) as typeof body;
      const key = body.name ?? "";
      const given = unmaskSecrets({ providers: { [key]: expanded } }, c).providers[key]!;
      const p = { ...stored, ...given };
      return testProvider({ baseUrl: p.baseUrl!, apiKey: p.apiKey, headers: p.headers }, { redact: deps.redact });
    });
}
