import { z } from "zod";
import { defineTool, type Tool } from "../agent/tools/tool.js";
import { AgentdError } from "../errors.js";
import type { WebFetchConfig } from "../config/sections/tools.js";
import type { guardedGet as GuardedGet } from "./http-get.js";
import { extractInWorker } from "./extract.js";
import type { Resolver } from "./net-guard.js";

/** Decodes a body by the `charset` of its content type (WHATWG encoding names), UTF-8 when absent or unknown. */
function decode(body: Buffer, contentType: string): string {
  const charset = /charset="?([^";\s]+)/i.exec(contentType)?.[1];
  try {
    return new TextDecoder(charset ?? "utf-8").decode(body);
  } catch {
    return new TextDecoder("utf-8").decode(body);
  }
}

/**
 * Fetches `url` and renders it for the model: HTML as its readable content in Markdown (`htmlToMarkdown`, run in
 * a worker thread by {@link extractInWorker}), text/JSON/Markdown as is; other content types are refused.
 * `cfg.timeoutMs` bounds the fetch and the extraction together. The answer starts with the title, final URL and
 * HTTP status. Errors as `guardedGet` (src/tools/http-get.ts).
 */
export async function webFetch(url: string, cfg: WebFetchConfig, signal: AbortSignal, test: { resolve?: Resolver; isBlocked?: (ip: string) => boolean } = {}): Promise<{ title: string; url: string; status: number; markdown: string }> {
  // node:https (TLS) and the fetch code load on first use, not at daemon start
  const { guardedGet }: { guardedGet: typeof GuardedGet } = await import("./http-get.js");
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(cfg.timeoutMs)]);
  const res = await guardedGet(url, {
    signal: deadline,
    maxBytes: cfg.maxBytes, maxRedirects: cfg.maxRedirects, allowPrivateNetwork: cfg.allowPrivateNetwork, ...test,
  });
  const type = res.contentType.split(";")[0]!.trim().toLowerCase();
  const text = decode(res.body, res.contentType);
  if (type === "text/html" || type === "application/xhtml+xml" || (type === "" && /^\s*<(!doctype|html)/i.test(text))) {
    const { title, markdown } = await extractInWorker(text, res.url, deadline);
    return { title, url: res.url, status: res.status, markdown };
  }
  if (type.startsWith("text/") || type === "application/json" || type.endsWith("+json") || type === "application/xml" || type.endsWith("+xml")) {
    return { title: "", url: res.url, status: res.status, markdown: text };
  }
  throw new AgentdError("bad_request", `${res.url}: the content type ${type || "(none)"} cannot be read as text`);
}

/**
 * The `web_fetch {url}` tool (issue 13): a page's readable content as Markdown with title, final URL and status.
 * `config()` is `tools.web_fetch`, read per call (limits, `allowPrivateNetwork`). The tool's output cap is the
 * agent's `toolOutputMaxChars`. `test` injects a resolver and address policy (tests only).
 */
export function webFetchTool(opts: { config: () => WebFetchConfig; test?: { resolve?: Resolver; isBlocked?: (ip: string) => boolean } }): Tool {
  return defineTool({
    name: "web_fetch",
    description: "Fetch a web page (http/https) and return its readable content as Markdown, with title, final URL and status.",
    input: z.strictObject({ url: z.string().min(1).max(8192) }),
    async run({ url }, ctx) {
      const page = await webFetch(url, opts.config(), ctx.signal, opts.test);
      return [page.title ? `# ${page.title}` : "", `URL: ${page.url}`, `Status: ${page.status}`, "", page.markdown || "(no readable content)"].filter((l, i) => i > 0 || l).join("\n");
    },
  });
}
