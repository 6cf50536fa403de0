import { z } from "zod";
import { defineTool, type Tool } from "../agent/tools/tool.js";
import type { WebSearchConfig } from "../config/sections/tools.js";
import type { SearchAdapter } from "./search/result.js";
import { searxngSearch } from "./search/searxng.js";
import { braveSearch } from "./search/brave.js";
import { tavilySearch } from "./search/tavily.js";
import { genericSearch } from "./search/generic.js";

/** The adapter of each `tools.web_search.provider`. */
export const SEARCH_ADAPTERS: Record<NonNullable<WebSearchConfig["provider"]>, SearchAdapter> = {
  searxng: searxngSearch, brave: braveSearch, tavily: tavilySearch, generic: genericSearch,
};

/**
 * The `web_search {query}` tool (issue 13) through the configured provider (`config()` is `tools.web_search`,
 * read per call). The answer is a numbered list: title, URL, snippet. Only offered when enabled with a provider.
 */
export function webSearchTool(opts: { config: () => WebSearchConfig }): Tool {
  return defineTool({
    name: "web_search",
    description: "Search the web; returns titles, URLs and snippets.",
    input: z.strictObject({ query: z.string().trim().min(1).max(500) }),
    async run({ query }, ctx) {
      const cfg = opts.config();
      const adapter = SEARCH_ADAPTERS[cfg.provider ?? "generic"];
      const results = await adapter({ query, maxResults: cfg.maxResults, url: cfg.url, apiKey: cfg.apiKey, signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(cfg.timeoutMs)]) });
      if (results.length === 0) return `No results for "${query}".`;
      return results.map((r, i) => `${i + 1}. ${r.title}\n   ${r.url}${r.snippet ? `\n   ${r.snippet}` : ""}`).join("\n");
    },
  });
}
