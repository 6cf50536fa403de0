/**
 * Builds a function that replaces every known secret value (the agent token, provider keys, bridge tokens, MCP
 * env and header values) in a text with `mask` (default `[redacted]`). `secrets()` is read on each call so live
 * config edits are covered; longer secrets are replaced first, so one that contains another is masked whole.
 * Values shorter than `minChars` (default 8) are left alone: they would garble ordinary words.
 * Used for log lines, error messages, tool outputs and the system prompt shown to the model.
 */
export function createRedactor(
  secrets: () => Iterable<string | undefined>,
  opts: { mask?: string; minChars?: number } = {},
): (text: string) => string {
  const mask = opts.mask ?? "[redacted]";
  const minChars = opts.minChars ?? 8;
  return (text: string) => {
    const values = [...new Set(secrets())].filter((s): s is string => !!s && s.length >= minChars).sort((a, b) => b.length - a.length);
    let out = text;
    for (const s of values) if (out.includes(s)) out = out.split(s).join(mask);
    return out;
  };
}
