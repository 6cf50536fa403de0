import { ValidationError } from "../errors.js";

/**
 * Key paths of the secrets in agentd.yaml, `*` matching any one key: provider API keys and header values,
 * bridge bot tokens, MCP server env and header values (src/config/sections/mcp.ts calls those secrets too), webhook secrets,
 * the web search provider's key and the variables given to `exec` commands (src/config/sections/tools.ts).
 */
export const SECRET_PATHS: readonly string[] = [
  "providers.*.apiKey",
  "providers.*.headers.*",
  "channels.*.botToken",
  "channels.*.appToken",
  "mcp.servers.*.env.*",
  "mcp.servers.*.headers.*",
  "hooks.*.secret",
  "tools.web_search.apiKey",
  "tools.exec.env.*",
];

/** Shortest secret shown with its first 3 and last 4 characters; shorter ones show as `[set]`. */
export const MASK_MIN_CHARS = 16;

const SECRET_PATTERNS = SECRET_PATHS.map((p) => p.split("."));

/** True when a key path (`["providers", "openai", "apiKey"]`) is one of the {@link SECRET_PATHS}. */
export function isSecretPath(path: readonly string[]): boolean {
  return SECRET_PATTERNS.some((p) => p.length === path.length && p.every((seg, i) => seg === "*" || seg === path[i]));
}

const MASK_SET = "[set]";
const MASK_PATTERN = /^[^\u2026]{0,3}\u2026[^\u2026]{4}$/u;

/**
 * The masked form of a secret: `""` stays `""` (not set), values of {@link MASK_MIN_CHARS}+ characters show
 * as `sk-…abcd` (first 3, `…`, last 4), shorter ones as `[set]`.
 */
export function maskSecret(value: string): string {
  if (value === "") return "";
  return value.length >= MASK_MIN_CHARS ? `${value.slice(0, 3)}…${value.slice(-4)}` : MASK_SET;
}

/** True when `value` has the shape of a masked secret (`[set]` or `abc…wxyz`). */
export function looksMasked(value: string): boolean {
  return value === MASK_SET || MASK_PATTERN.test(value);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Copies a plain JSON value, passing every string at a secret path ({@link SECRET_PATHS}, relative to `root`, a
 * dotted prefix such as `providers`) through `fn(value, path)`. Other values are copied unchanged.
 */
export function mapSecrets(value: unknown, fn: (secret: string, path: string[]) => string, root: string[] = []): unknown {
  const walk = (v: unknown, path: string[]): unknown => {
    if (typeof v === "string") return isSecretPath(path) ? fn(v, path) : v;
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...path, String(i)]));
    if (isObject(v)) {
      // only descend where some secret path may still match
      if (!SECRET_PATTERNS.some((p) => p.length > path.length && path.every((seg, i) => p[i] === "*" || p[i] === seg))) return v;
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x, [...path, k]);
      return out;
    }
    return v;
  };
  return walk(value, root);
}

/** A config (or one section of it, at `root`) with every secret masked by {@link maskSecret}. */
export function maskConfig<T>(value: T, root: string[] = []): T {
  return mapSecrets(value, maskSecret, root) as T;
}

function getPath(value: unknown, path: string[]): unknown {
  let v = value;
  for (const k of path) {
    if (!isObject(v)) return undefined;
    v = v[k];
  }
  return v;
}

/**
 * Puts the stored secrets back where a client sent a masked value: a string at a secret path that equals the
 * mask of the stored secret at the same path (of `stored`, the config in force) becomes that stored secret, so
 * sending back what `GET /api/config` showed keeps the secret (and its `${ENV}` reference in the YAML).
 * Throws {@link ValidationError} (`details.path`) for a masked-looking value that matches no stored secret.
 */
export function unmaskSecrets<T>(incoming: T, stored: unknown, root: string[] = []): T {
  return mapSecrets(incoming, (value, path) => {
    if (!looksMasked(value)) return value;
    const current = getPath(stored, path);
    if (typeof current === "string" && current !== "" && maskSecret(current) === value) return current;
    throw new ValidationError(`${path.join(".")}: this is a masked secret that matches no stored one; send the real value`, { path: path.join(".") });
  }, root) as T;
}
