import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { CONFIG_FILE, yamlTreeOf } from "./load.js";
import type { Config } from "./schema.js";

/** Where the API key of one provider is set, for messages that tell the owner what to fix (issue 17, item 11). */
export interface ApiKeySource {
  /** The provider's name under `providers`. */
  provider: string;
  /** The key path in agentd.yaml: `providers.openai.apiKey`. */
  keyPath: string;
  /** The environment variable the key path reads (`apiKey: ${OPENAI_API_KEY}` → `OPENAI_API_KEY`), if any. */
  variable?: string;
  /** Where the key goes: the agent's `.env` for a variable, else its agentd.yaml (absolute path). */
  file: string;
  /** True when no key is in force: the key path is absent, or it (or its variable) is empty. */
  empty: boolean;
  /** How to say where the key is set: "`OPENAI_API_KEY` in /home/ann/my-agent/.env". */
  where: string;
}

/** The first `${VAR}` or `${VAR:-default}` reference in a config value (the syntax of `expandEnv` in load.ts). */
const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}/;

/**
 * Where the API key of `provider` comes from in the agent folder `dir`: the raw `providers.<name>.apiKey` of
 * `DIR/agentd.yaml` (before `${VAR}` expansion) names the variable and `.env`; it is read from the YAML tree
 * `config` was parsed from when `parseConfig` made it (no second parse of the file, `yamlTreeOf`), else from the
 * file. `config` (the config in force) tells whether a key is set. Never throws: an unreadable file gives the
 * agentd.yaml key path.
 */
export function apiKeySource(dir: string, config: Config, provider: string): ApiKeySource {
  const keyPath = `providers.${provider}.apiKey`;
  const yamlFile = join(dir, CONFIG_FILE);
  let raw: unknown;
  const tree = yamlTreeOf(config);
  if (tree !== undefined) {
    raw = valueAt(tree, ["providers", provider, "apiKey"]);
  } else {
    try {
      raw = parseDocument(readFileSync(yamlFile, "utf8")).getIn(["providers", provider, "apiKey"]);
    } catch {
      raw = undefined;
    }
  }
  const variable = typeof raw === "string" ? ENV_REF.exec(raw)?.[1] : undefined;
  const empty = !config.providers[provider]?.apiKey;
  if (variable) {
    const file = join(dir, ".env");
    return { provider, keyPath, variable, file, empty, where: `${variable} in ${file}` };
  }
  return { provider, keyPath, file: yamlFile, empty, where: `${keyPath} in ${yamlFile}` };
}

/** The value at `path` in a tree of plain objects, or undefined. */
function valueAt(tree: unknown, path: string[]): unknown {
  let node = tree;
  for (const key of path) node = node !== null && typeof node === "object" && Object.hasOwn(node, key) ? (node as Record<string, unknown>)[key] : undefined;
  return node;
}

/** A model of the agent whose provider's API key is configured but empty; `message` says what to do. */
export interface MissingApiKey {
  model: string;
  source: ApiKeySource;
  message: string;
}

/**
 * The active model and the fallback models whose provider has an `apiKey` that expanded to nothing (the
 * template's `apiKey: ${OPENAI_API_KEY:-}` before the key is put into `.env`). A provider without an `apiKey` key
 * (a local server) needs none and is not listed. One entry per provider.
 */
export function missingApiKeys(dir: string, config: Config): MissingApiKey[] {
  const out: MissingApiKey[] = [];
  const seen = new Set<string>();
  for (const model of [config.model, ...config.fallbackModels]) {
    const provider = config.models[model]?.provider;
    if (!provider || seen.has(provider) || config.providers[provider]?.apiKey !== "") continue;
    seen.add(provider);
    const source = apiKeySource(dir, config, provider);
    const fix = source.variable
      ? `put ${source.variable}=<your key> in ${source.file} and restart the agent (or remove ${source.keyPath} from agentd.yaml if the server needs no key)`
      : `set ${source.keyPath} in ${source.file} (e.g. \${MY_API_KEY}, with the key in .env)`;
    out.push({ model, source, message: `model ${model} has no API key: ${source.variable ? `${source.variable} is not set` : `${source.keyPath} is empty`}; ${fix}` });
  }
  return out;
}

/** The end of an error about a refused (HTTP 401/403) or missing key: which key in which file to fix. */
export function apiKeyHint(source: ApiKeySource): string {
  if (!source.empty) return `check the API key, ${source.where}, and restart the agent`;
  return source.variable
    ? `no API key is set: put ${source.variable}=<your key> in ${source.file} and restart the agent`
    : `no API key is set: set ${source.keyPath} in ${source.file} (e.g. \${MY_API_KEY}, with the key in .env)`;
}
