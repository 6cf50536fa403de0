import { cleanResults, fetchJson, type SearchAdapter } from "./result.js";

/**
 * SearXNG's JSON API: `GET {url}/search?q=…&format=json` (the instance must allow the `json` format in its
 * settings.yml, `search.formats`). Results are `{results: [{title, url, content}]}`.
 * Source: https://docs.searxng.org/dev/search_api.html
 */
export const searxngSearch: SearchAdapter = async (req) => {
  const u = new URL("search", req.url!.endsWith("/") ? req.url! : `${req.url}/`);
  u.searchParams.set("q", req.query);
  u.searchParams.set("format", "json");
  const body = (await fetchJson(u, { signal: req.signal, headers: { accept: "application/json" } })) as { results?: Array<{ title?: string; url?: string; content?: string }> };
  return cleanResults((body.results ?? []).map((r) => ({ title: r.title, url: r.url, snippet: r.content })), req.maxResults);
};
