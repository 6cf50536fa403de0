import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { parseDotenv } from "../../protocol/endpoint.js";
import { ConfigError } from "../errors.js";
import { Config } from "./schema.js";
import { coerceExpanded, configErrorFrom } from "./config-issues.js";

/** File name of the config inside an agent folder. */
export const CONFIG_FILE = "agentd.yaml";

/**
 * Loads `DIR/.env` into `env` (existing variables win, as with most dotenv loaders). Missing file is fine.
 * Returns the keys it read (so callers can tell secrets apart).
 */
export function loadDotenv(dir: string, env: NodeJS.ProcessEnv = process.env): string[] {
  let text: string;
  try {
    text = readFileSync(join(dir, ".env"), "utf8");
  } catch {
    return [];
  }
  const vars = parseDotenv(text);
  for (const [k, v] of Object.entries(vars)) if (env[k] === undefined || env[k] === "") env[k] = v;
  return Object.keys(vars);
}

/** A `${VAR}` or `${VAR:-default}` reference (and `$${` escapes) in a config string. */
const ENV_REF_RE = /\$?\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** The variable names a string refers to with `${VAR}` / `${VAR:-default}` (escaped `$${…}` excluded). */
export function envRefs(text: string): string[] {
  return [...text.matchAll(ENV_REF_RE)].filter((m) => !m[0].startsWith("$$")).map((m) => m[1]!);
}

/** Options of {@link expandEnv}. */
export interface ExpandOptions {
  /** Key path of `value` inside the file (for error messages); default the root. */
  path?: string[];
  /**
   * Which names may be expanded: returns undefined for an allowed name, else the reason it is refused (a
   * {@link ConfigError} at the key path, even when the reference has a default). Default: every name.
   */
  refuse?: (name: string) => string | undefined;
  /** Receives the key path of every string that had a `${VAR}` replaced (its type is then decided by the schema). */
  expanded?: string[][];
}

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string of a parsed YAML value. An unset variable without a
 * default is a {@link ConfigError} naming the key path; so is a name that `opts.refuse` refuses. `$${` escapes a
 * literal `${`. Keys whose value is null (children all commented out) are dropped so defaults apply.
 */
export function expandEnv(value: unknown, env: NodeJS.ProcessEnv, file: string, opts: ExpandOptions = {}): unknown {
  const path = opts.path ?? [];
  if (typeof value === "string") {
    let replaced = false;
    const out = value.replace(ENV_REF_RE, (m, key: string, def: string | undefined) => {
      if (m.startsWith("$$")) return m.slice(1);
      const refused = opts.refuse?.(key);
      if (refused !== undefined) throw new ConfigError(file, path.join("."), refused);
      replaced = true;
      const v = env[key];
      if (v !== undefined && v !== "") return v;
      if (def !== undefined) return def;
      throw new ConfigError(file, path.join("."), `environment variable ${key} is not set (put it in .env or the environment)`);
    });
    if (replaced) opts.expanded?.push(path);
    return out;
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, env, file, { ...opts, path: [...path, String(i)] }));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    // a key whose children are all commented out parses as null: treat it as absent so defaults apply
    for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = expandEnv(v, env, file, { ...opts, path: [...path, k] });
    return out;
  }
  return value;
}

export { configErrorFrom } from "./config-issues.js";

/**
 * Parses and validates config text: YAML → `${ENV}` expansion → the {@link Config} schema, where an expanded
 * string becomes the number or boolean the schema wants (`port: ${PORT:-8765}`, see `coerceExpanded`).
 * Throws {@link ConfigError} (file, key path, reason) on a YAML syntax error, a missing variable or a bad value;
 * an unknown key says which known one it likely meant.
 */
export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): Config {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0];
    throw new ConfigError(file, line ? `line ${line.line}` : "", e.message.split("\n")[0] ?? "YAML syntax error");
  }
  const expanded: string[][] = [];
  const tree: unknown = doc.toJS() ?? {};
  const raw = expandEnv(tree, env, file, { expanded });
  // jitless: zod's eval-built fast path costs more to generate than it saves on a parse done once per start or edit
  let parsed = Config.safeParse(raw, { jitless: true });
  // only a failed parse can hold a `${VAR}` string where the schema wants a number or boolean: coerce, parse again
  if (!parsed.success && expanded.length > 0) parsed = Config.safeParse(coerceExpanded(raw, expanded, Config), { jitless: true });
  if (!parsed.success) throw configErrorFrom(file, parsed.error, Config, { input: raw, expanded });
  yamlTrees.set(parsed.data, tree);
  return parsed.data;
}

const yamlTrees = new WeakMap<Config, unknown>();

/**
 * The YAML tree, before `${VAR}` expansion, that {@link parseConfig} made `config` from (plain objects, arrays and
 * scalars: the `yaml` package's `toJS()`); undefined for a config it did not make. Lets a reader of a raw value
 * (which variable `providers.openai.apiKey` names) skip parsing agentd.yaml a second time.
 */
export function yamlTreeOf(config: Config): unknown {
  return yamlTrees.get(config);
}

/** Loads `DIR/.env` then `DIR/agentd.yaml`. Throws {@link ConfigError} when the file is missing or invalid. */
export function loadConfig(dir: string, env: NodeJS.ProcessEnv = process.env): Config {
  loadDotenv(dir, env);
  const file = join(dir, CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new ConfigError(file, "", "file not found (run `agentd init` to create an agent folder)");
  }
  return parseConfig(text, file, env);
}
