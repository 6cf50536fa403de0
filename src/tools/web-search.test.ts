import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { WebSearchConfig } from "../config/sections/tools.js";
import { webSearchTool } from "./web-search.js";

let server: Server;
let base: string;
const seen: Array<{ url: string; method: string; headers: IncomingMessage["headers"]; body: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d)).on("end", () => {
      seen.push({ url: req.url!, method: req.method!, headers: req.headers, body });
      const u = new URL(req.url!, "http://x");
      const json = (v: unknown) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(v));
      if (u.pathname === "/searx/search") return json({ results: [{ title: "Otter", url: "https://en.wikipedia.org/wiki/Otter", content: "Otters are <b>carnivorous</b> mammals" }, { title: "bad", url: "javascript:x", content: "" }] });
      if (u.pathname === "/brave") return json({ web: { results: [{ title: "Brave hit", url: "https://brave.example/a", description: "from brave" }] } });
      if (u.pathname === "/tavily") return json({ results: [{ title: "Tavily hit", url: "https://tavily.example/a", content: "from tavily" }, { title: "Second", url: "https://tavily.example/b", content: "" }] });
      if (u.pathname === "/generic") return json([{ title: "Generic hit", url: "https://generic.example/", snippet: "from generic" }]);
      if (u.pathname === "/down") return void res.writeHead(503).end();
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const ctx = { signal: new AbortController().signal, sessionId: "s", runId: "r", logger: pino({ level: "silent" }) };
const search = (cfg: Record<string, unknown>, query = "otters") => webSearchTool({ config: () => WebSearchConfig.parse({ enabled: true, ...cfg }) }).run({ query }, ctx);

describe("web_search", () => {
  it("SearXNG: GET /search?format=json, snippets without HTML, non-http URLs dropped", async () => {
    expect(await search({ provider: "searxng", url: `${base}/searx` })).toBe("1. Otter\n   https://en.wikipedia.org/wiki/Otter\n   Otters are carnivorous mammals");
    expect(seen.at(-1)!.url).toBe("/searx/search?q=otters&format=json");
  });

  it("Brave: the key in X-Subscription-Token, count = maxResults", async () => {
    expect(await search({ provider: "brave", url: `${base}/brave`, apiKey: "brave-key-123", maxResults: 3 })).toBe("1. Brave hit\n   https://brave.example/a\n   from brave");
    expect(seen.at(-1)).toMatchObject({ url: "/brave?q=otters&count=3", headers: { "x-subscription-token": "brave-key-123" } });
  });

  it("Tavily: POST JSON with a bearer key; maxResults honoured", async () => {
    expect(await search({ provider: "tavily", url: `${base}/tavily`, apiKey: "tvly-key", maxResults: 1 })).toBe("1. Tavily hit\n   https://tavily.example/a\n   from tavily");
    expect(seen.at(-1)).toMatchObject({ method: "POST", headers: { authorization: "Bearer tvly-key" } });
    expect(JSON.parse(seen.at(-1)!.body)).toEqual({ query: "otters", max_results: 1 });
  });

  it("generic: an array of {title, url, snippet}", async () => {
    expect(await search({ provider: "generic", url: `${base}/generic` })).toBe("1. Generic hit\n   https://generic.example/\n   from generic");
  });

  it("a failing provider is a clear error; config without provider or key is refused", async () => {
    await expect(search({ provider: "generic", url: `${base}/down` })).rejects.toMatchObject({ code: "unavailable", message: expect.stringContaining("HTTP 503") });
    expect(WebSearchConfig.safeParse({ enabled: true }).success).toBe(false);
    expect(WebSearchConfig.safeParse({ enabled: true, provider: "brave" }).error?.issues[0]).toMatchObject({ path: ["apiKey"] });
    expect(WebSearchConfig.safeParse({ enabled: true, provider: "searxng" }).error?.issues[0]).toMatchObject({ path: ["url"] });
  });
});
