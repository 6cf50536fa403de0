import { cleanResults, fetchJson, type SearchAdapter } from "./result.js";

/**
 * Any endpoint that answers `GET {url}?q=…&limit=N` with `[{title, url, snippet}]` or `{results: [...]}`
 * (`Authorization: Bearer <apiKey>` when a key is set). For self-hosted search proxies.
 */
export const genericSearch: SearchAdapter = async (req) => {
  const u = new URL(req.url!);
  u.searchParams.set("q", req.query);
  u.searchParams.set("limit", String(req.maxResults));
  const body = (await fetchJson(u, { signal: req.signal, headers: { accept: "application/json", ...(req.apiKey ? { authorization: `Bearer ${req.apiKey}` } : {}) } })) as unknown;
  const items = Array.isArray(body) ? body : ((body as { results?: unknown[] })?.results ?? []);
  return cleanResults(items as Array<{ title?: unknown; url?: unknown; snippet?: unknown }>, req.maxResults);
};
