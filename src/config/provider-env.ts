import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { parseDotenv } from "../../protocol/endpoint.js";
import { CONFIG_FILE, envRefs } from "./load.js";
import { PROVIDER_CATALOG } from "./provider-catalog.js";

/** The variable holding the owner token (in `.env`): never expanded into anything that leaves the daemon. */
export const TOKEN_ENV = "AGENTD_TOKEN";

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

function collectRefs(value: unknown, into: Set<string>): void {
  if (typeof value === "string") for (const name of envRefs(value)) into.add(name);
  else if (value && typeof value === "object") for (const v of Object.values(value)) collectRefs(v, into);
}

/**
 * The `${VAR}` names a provider test (`POST /api/providers/test`) may expand (issue 17, item 4): the names the
 * agent's `.env` defines that hold provider keys, i.e. that `providers` in agentd.yaml refers to (`apiKey`,
 * `headers`) or that a known provider keeps its key in (`apiKeyEnv` of {@link PROVIDER_CATALOG}, e.g.
 * `GROQ_API_KEY`, so a key can be tried before its provider is added). Never {@link TOKEN_ENV}, and never a
 * variable that only the daemon's environment holds (`HOME`, cloud credentials…): a test sends what it expands
 * to a URL the caller chooses. Reads both files on each call (the route is rare; edits by hand apply at once).
 */
export function providerKeyNames(dir: string): Set<string> {
  const defined = Object.keys(parseDotenv(readText(join(dir, ".env"))));
  const keyNames = new Set<string>(PROVIDER_CATALOG.flatMap((p) => (p.apiKeyEnv ? [p.apiKeyEnv] : [])));
  const doc = parseDocument(readText(join(dir, CONFIG_FILE)));
  if (doc.errors.length === 0) collectRefs(doc.toJS()?.providers, keyNames);
  return new Set(defined.filter((name) => name !== TOKEN_ENV && keyNames.has(name)));
}
