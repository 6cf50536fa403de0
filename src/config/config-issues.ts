import { closest, distance } from "fastest-levenshtein";
import { parse as parseYamlScalar } from "yaml";
import type { z } from "zod";
import { ConfigError } from "../errors.js";
import { knownKeysAt } from "./schema-walk.js";

type Issue = z.core.$ZodIssue;
/** A zod issue with its key path from the root of the config (issues inside a union branch carry relative paths). */
type Located = { issue: Issue; path: PropertyKey[] };

/**
 * The issues of a failed parse with absolute paths, a union's issues replaced by those of its closest branch (the
 * one with fewest issues: an MCP server with a misspelt key is a stdio server with an unknown key, not "neither").
 */
function flatten(issues: readonly Issue[], base: PropertyKey[] = []): Located[] {
  return issues.flatMap((issue): Located[] => {
    const path = [...base, ...issue.path];
    if (issue.code !== "invalid_union" || issue.errors.length === 0) return [{ issue, path }];
    const best = [...issue.errors].sort((a, b) => a.length - b.length)[0]!;
    return best.some((i) => i.code === "unrecognized_keys") ? flatten(best, path) : [{ issue, path }];
  });
}

/**
 * The key of `known` an unknown key most likely meant (Levenshtein distance, `fastest-levenshtein`; case ignored):
 * `modle` → `model`, `prot` → `port`. Undefined when none is within a third of the key's length (at least 2 edits).
 */
export function suggestKey(unknown: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const lower = known.map((k) => k.toLowerCase());
  const guess = closest(unknown.toLowerCase(), lower);
  const limit = Math.max(2, Math.floor(guess.length / 3));
  return distance(unknown.toLowerCase(), guess) <= limit ? known[lower.indexOf(guess)] : undefined;
}

const pathKey = (path: ReadonlyArray<PropertyKey>) => path.map(String).join("\u0000");

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let v = root;
  for (const k of path) v = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[String(k)] : undefined;
  return v;
}

/**
 * Gives `${VAR}`-expanded strings the type the schema wants there (issue 17, item 12): where `schema` expects a
 * number or a boolean and the value at that key path is a string that `expandEnv` produced (`expanded`), the
 * string is read as a YAML scalar, as if it had been written in the file (`8770` → 8770, `true` → true); one of
 * the wanted type replaces it. Strings written in the file stay strings (`port: "8770"` is still an error). Also
 * inside unions (an MCP server's `callTimeoutMs`). Mutates and returns `input`.
 */
export function coerceExpanded<T>(input: T, expanded: ReadonlyArray<ReadonlyArray<string>>, schema: z.ZodType): T {
  if (expanded.length === 0) return input;
  const fromEnv = new Set(expanded.map(pathKey));
  // a coercion can reveal more (a union branch that now matches): a few rounds settle it
  for (let round = 0; round < 4; round++) {
    const r = schema.safeParse(input);
    if (r.success) return input;
    let changed = false;
    const wanted = (issues: readonly Issue[], base: PropertyKey[]): void => {
      for (const issue of issues) {
        const path = [...base, ...issue.path];
        if (issue.code === "invalid_union") for (const branch of issue.errors) wanted(branch, path);
        if (issue.code !== "invalid_type" || (issue.expected !== "number" && issue.expected !== "boolean") || !fromEnv.has(pathKey(path))) continue;
        const parent = valueAt(input, path.slice(0, -1)) as Record<string, unknown> | undefined;
        const key = String(path.at(-1));
        const text = parent?.[key];
        if (typeof text !== "string") continue;
        let typed: unknown;
        try {
          typed = parseYamlScalar(text);
        } catch {
          continue;
        }
        if (typeof typed === issue.expected && (typeof typed !== "number" || Number.isFinite(typed))) {
          parent![key] = typed;
          changed = true;
        }
      }
    };
    wanted(r.error.issues, []);
    if (!changed) break;
  }
  return input;
}

/**
 * Turns a failed parse of the config into a {@link ConfigError} (file, dotted key path, reason). Unknown keys are
 * reported first (a misspelt key also makes the right one missing) with the key they likely meant: "unknown key:
 * modle (did you mean `model`?)". A number or boolean that a `${VAR}` filled with something else says what it got.
 * `input` (the value parsed) and `expanded` (key paths filled from `${VAR}`) sharpen the messages; both optional.
 */
export function configErrorFrom(file: string, error: z.ZodError, schema?: z.ZodType, ctx: { input?: unknown; expanded?: ReadonlyArray<ReadonlyArray<string>> } = {}): ConfigError {
  const all = flatten(error.issues);
  const chosen = all.find((l) => l.issue.code === "unrecognized_keys") ?? all[0];
  if (!chosen) return new ConfigError(file, "", "invalid");
  const { issue, path } = chosen;
  const where = path.map(String).join(".");
  if (issue.code === "unrecognized_keys") {
    const known = schema ? knownKeysAt(schema, path) : [];
    const named = issue.keys.map((k) => {
      const guess = suggestKey(k, known.filter((n) => !issue.keys.includes(n)));
      return guess ? `${k} (did you mean \`${guess}\`?)` : k;
    });
    return new ConfigError(file, where, `unknown key${issue.keys.length > 1 ? "s" : ""}: ${named.join(", ")}`);
  }
  if (issue.code === "invalid_type" && ctx.expanded?.some((p) => pathKey(p) === pathKey(path))) {
    const got = valueAt(ctx.input, path);
    if (typeof got === "string") return new ConfigError(file, where, `expected a ${issue.expected}, but its \${…} gave ${JSON.stringify(got)}`);
  }
  return new ConfigError(file, where, issue.message);
}
