import { AgentdError } from "../../errors.js";

/** One search hit as every adapter returns it. */
export interface SearchResult {
  title: string;
  url: string;
  snippet: string;
}

/** What an adapter gets: the query, how many results, the endpoint, key and the abort signal (with the timeout). */
export interface SearchRequest {
  query: string;
  maxResults: number;
  url?: string | undefined;
  apiKey?: string | undefined;
  signal: AbortSignal;
}

/** A web search provider's adapter: one small function per provider. */
export type SearchAdapter = (req: SearchRequest) => Promise<SearchResult[]>;

/**
 * Sends a request and returns its JSON body. Throws AgentdError `unavailable` (retryable) for network errors and
 * non-2xx answers (the status in the message, never the key), `timeout`/`aborted` from the signal.
 */
export async function fetchJson(url: string | URL, init: RequestInit & { signal: AbortSignal }): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (err) {
    if (init.signal.aborted) throw new AgentdError(init.signal.reason?.name === "TimeoutError" ? "timeout" : "aborted", "the search timed out or was aborted");
    throw new AgentdError("unavailable", `the search provider could not be reached: ${(err as Error).message}`, { retryable: true });
  }
  if (!res.ok) throw new AgentdError("unavailable", `the search provider answered HTTP ${res.status}`, { retryable: res.status >= 500 || res.status === 429 });
  return res.json();
}

/** Keeps the hits that have a title and an http(s) URL, at most `max`, with strings trimmed. */
export function cleanResults(items: Array<{ title?: unknown; url?: unknown; snippet?: unknown }>, max: number): SearchResult[] {
  const out: SearchResult[] = [];
  for (const i of items) {
    if (typeof i.url !== "string" || !/^https?:\/\//i.test(i.url)) continue;
    out.push({ title: String(i.title ?? i.url).trim(), url: i.url, snippet: typeof i.snippet === "string" ? i.snippet.replace(/<[^>]*>/g, "").trim() : "" });
    if (out.length >= max) break;
  }
  return out;
}
