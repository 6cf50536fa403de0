/** Shortest value treated as a secret; shorter ones (e.g. `"1"`) would garble messages when masked. */
const MIN_SECRET_CHARS = 4;

/**
 * Builds a function that masks every occurrence of the given secret values (MCP `env` and `headers`
 * values, URL credentials and query) with `***`, so they never reach logs or `GET /api/mcp`.
 * Values shorter than 4 characters are left alone.
 */
export function makeRedactor(secrets: Iterable<string>): (text: string) => string {
  const values = [...new Set(secrets)].filter((s) => s.length >= MIN_SECRET_CHARS).sort((a, b) => b.length - a.length);
  if (values.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const v of values) out = out.split(v).join("***");
    return out;
  };
}
