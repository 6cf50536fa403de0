import { cleanResults, fetchJson, type SearchAdapter } from "./result.js";

/** Tavily's search endpoint (the default of `tools.web_search.url` for `provider: tavily`). */
export const TAVILY_SEARCH_URL = "https://api.tavily.com/search";

/**
 * Tavily: `POST /search` with `{query, max_results}` and `Authorization: Bearer <key>`; results are
 * `{results: [{title, url, content}]}`. Source: https://docs.tavily.com/documentation/api-reference/endpoint/search
 */
export const tavilySearch: SearchAdapter = async (req) => {
  const body = (await fetchJson(req.url ?? TAVILY_SEARCH_URL, {
    method: "POST", signal: req.signal,
    headers: { "content-type": "application/json", authorization: `Bearer ${req.apiKey ?? ""}` },
    body: JSON.stringify({ query: req.query, max_results: req.maxResults }),
  })) as { results?: Array<{ title?: string; url?: string; content?: string }> };
  return cleanResults((body.results ?? []).map((r) => ({ title: r.title, url: r.url, snippet: r.content })), req.maxResults);
};
