import { ValidationError } from "../errors.js";

const PLAIN = /^[A-Za-z0-9_\-.:/+=@~,%^]*$/;

/**
 * One `.env` line `NAME=value`, quoted so that `parseDotenv` (Node's `util.parseEnv`) reads the value back
 * exactly: plain when it has only safe characters, else in the first of '…' and `…` (taken literally) that the
 * value does not contain, else in "…" (where `\n` would become a line break). Throws {@link ValidationError} for
 * a value with a line break or one no quoting reads back (all three quote kinds, or `"` and `'` with `\n`).
 */
export function dotenvLine(name: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new ValidationError(`a secret for ${name} cannot contain a line break`, { path: name });
  if (PLAIN.test(value)) return `${name}=${value}`;
  const quote = ["'", "`", '"'].find((q) => !value.includes(q) && !(q === '"' && value.includes("\\n")));
  if (quote) return `${name}=${quote}${value}${quote}`;
  throw new ValidationError(`a secret for ${name} cannot be quoted for .env (it has ', \` and " or \\n); put it into .env by hand`, { path: name });
}

/**
 * Returns `.env` text with `vars` set: an existing `NAME=` (or `export NAME=`) line is replaced in place, new
 * names are appended at the end. Comments and other lines are kept.
 */
export function setDotenvVars(text: string, vars: Record<string, string>): string {
  const left = new Map(Object.entries(vars));
  const lines = text === "" ? [] : text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(lines[i]!);
    const name = m?.[1];
    if (name !== undefined && left.has(name)) {
      lines[i] = dotenvLine(name, left.get(name)!);
      left.delete(name);
    }
  }
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  for (const [name, value] of left) lines.push(dotenvLine(name, value));
  return `${lines.join("\n")}\n`;
}

/**
 * The environment variable a secret set through the API is stored under, from its key path:
 * `providers.groq.apiKey` → `GROQ_API_KEY`, `providers.x.headers.X-Title` → `X_HEADER_X_TITLE`,
 * `channels.telegram.botToken` → `TELEGRAM_BOT_TOKEN`, `mcp.servers.gh.env.TOKEN` → `MCP_GH_TOKEN`.
 */
export function envNameFor(path: readonly string[]): string {
  const snake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/[^A-Za-z0-9]+/g, "_").replace(/^_+|_+$/g, "").toUpperCase();
  let parts: string[];
  if (path[0] === "providers" && path[2] === "apiKey") parts = [path[1]!, "API_KEY"];
  else if (path[0] === "providers" && path[2] === "headers") parts = [path[1]!, "HEADER", path[3]!];
  else if (path[0] === "channels") parts = [path[1]!, path[2]!];
  else if (path[0] === "mcp") parts = ["MCP", path[2]!, path[4]!];
  else parts = [...path];
  const name = parts.map(snake).filter(Boolean).join("_");
  return /^[A-Z_]/.test(name) ? name : `_${name}`;
}
