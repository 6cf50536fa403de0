/** Minimum length of a value treated as a secret (shorter values would redact ordinary words). */
const MIN_SECRET_CHARS = 8;

/**
 * Builds a function that replaces every known secret value (the agent token, provider keys, bridge tokens)
 * in a text with `[redacted]`. `secrets()` is read on each call so live config edits are covered.
 * Used for log lines, error messages and tool outputs shown to the model.
 */
export function createRedactor(secrets: () => Iterable<string | undefined>): (text: string) => string {
  return (text: string) => {
    let out = text;
    for (const s of secrets()) {
      if (s && s.length >= MIN_SECRET_CHARS && out.includes(s)) out = out.split(s).join("[redacted]");
    }
    return out;
  };
}
