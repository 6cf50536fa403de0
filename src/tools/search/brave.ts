import { cleanResults, fetchJson, type SearchAdapter } from "./result.js";

/** Brave Search API's web endpoint (the default of `tools.web_search.url` for `provider: brave`). */
export const BRAVE_SEARCH_URL = "https://api.search.brave.com/res/v1/web/search";

/**
 * Brave Search API: `GET …/web/search?q=…&count=N` with header `X-Subscription-Token`; results are
 * `{web: {results: [{title, url, description}]}}`. Source: https://api-dashboard.search.brave.com/app/documentation/web-search
 */
export const braveSearch: SearchAdapter = async (req) => {
  const u = new URL(req.url ?? BRAVE_SEARCH_URL);
  u.searchParams.set("q", req.query);
  u.searchParams.set("count", String(req.maxResults));
  const body = (await fetchJson(u, { signal: req.signal, headers: { accept: "application/json", "x-subscription-token": req.apiKey ?? "" } })) as { web?: { results?: Array<{ title?: string; url?: string; description?: string }> } };
  return cleanResults((body.web?.results ?? []).map((r) => ({ title: r.title, url: r.url, snippet: r.description })), req.maxResults);
};
