// Config and model routes on a real daemon (issue 5): validated writes that leave a bad config's file untouched,
// live model changes, comments and ${ENV} references that survive writes, masked secrets, edits by hand.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startFakeLlm, type FakeLlm } from "./support/fake-llm.js";
import { chatRequests, scriptSideCalls } from "./support/agent-llm.js";
import { cleanup, initAgent, startDaemon, waitFor, type RunningDaemon } from "./support/daemon.js";

const KEY = "sk-test-0123456789abcdefWXYZ";
let llm: FakeLlm;
let d: RunningDaemon;
let root: string;
const yamlFile = () => join(d.dir, "agentd.yaml");
const yaml = () => readFileSync(yamlFile(), "utf8");
const json = async (res: Response): Promise<any> => res.json();
const send = (path: string, method: string, body: unknown) => d.api(path, { method, body: JSON.stringify(body) });
const comments = (text: string) => text.split("\n").filter((l) => l.trimStart().startsWith("#"));

beforeAll(async () => {
  llm = await startFakeLlm();
  const { dir } = await initAgent({ llmUrl: llm.url });
  root = join(dir, "..");
  appendFileSync(join(dir, ".env"), `OPENAI_API_KEY=${KEY}\n`);
  d = await startDaemon(dir);
});
afterAll(async () => {
  await d?.kill();
  await llm?.close();
  if (root) cleanup(root);
});
beforeEach(() => {
  llm.reset();
  scriptSideCalls(llm);
});

describe("GET /api/config", () => {
  it("shows the config in force with secrets masked", async () => {
    const cfg = await json(await d.api("/api/config"));
    expect(cfg.providers.openai.apiKey).toBe("sk-…WXYZ");
    expect(cfg.providers.openai.baseUrl).toBe(llm.url);
    expect(cfg.agent.maxSteps).toBe(8);
    expect(JSON.stringify(cfg)).not.toContain(KEY);
  });
});

describe("PUT /api/config", () => {
  it("rejects a bad value with 400 and the key path, leaving the file byte for byte", async () => {
    const before = yaml();
    const cfg = await json(await d.api("/api/config"));
    for (const bad of [{ ...cfg, server: { ...cfg.server, port: "eighty" } }, { ...cfg, models: { main: { ...cfg.models.main, provider: "nope" } } }, { ...cfg, bogus: 1 }]) {
      const res = await send("/api/config", "PUT", bad);
      expect(res.status).toBe(400);
      const { error } = await json(res);
      expect(error.code).toBe("bad_request");
      expect(["server.port", "models.main.provider", "(root)"]).toContain(error.details.path);
    }
    expect(yaml()).toBe(before);
  });

  it("accepts what GET showed back unchanged: no change, ${ENV} reference and comments kept", async () => {
    const before = yaml();
    const res = await send("/api/config", "PUT", await json(await d.api("/api/config")));
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ changed: [], restartRequired: [] });
    expect(yaml()).toBe(before);
  });

  it("says a server change needs a restart and applies the rest", async () => {
    const cfg = await json(await d.api("/api/config"));
    const res = await send("/api/config", "PUT", { ...cfg, server: { ...cfg.server, shutdownGraceMs: 3000 }, agent: { ...cfg.agent, maxSteps: 6 } });
    expect(await json(res)).toMatchObject({ changed: ["server", "agent"], restartRequired: ["server"] });
    expect(yaml()).toMatch(/^ {2}shutdownGraceMs: 3000$/m);
  });
});

describe("PATCH /api/config/{section}", () => {
  it("PATCH models: the next chat uses the new model without a restart; comments survive", async () => {
    const before = yaml();
    const res = await send("/api/config/models", "PATCH", { main: { model: "patched-model" } });
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ changed: ["models"], restartRequired: [] });
    const after = yaml();
    expect(comments(after)).toEqual(comments(before));
    expect(after.replace("model: patched-model", "model: gpt-4o-mini")).toBe(before);
    expect(after).toContain("apiKey: ${OPENAI_API_KEY:-}");

    const reply = await json(await send("/api/chat", "POST", { text: "which model?" }));
    expect(reply.text).toBe("You said: which model?");
    expect(chatRequests(llm).at(-1)!.body.model).toBe("patched-model");
    expect(chatRequests(llm).at(-1)!.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it("keeps a masked secret sent back, and stores a new one in .env, never in agentd.yaml", async () => {
    let res = await send("/api/config/providers", "PATCH", { openai: { apiKey: "sk-…WXYZ" } });
    expect(await json(res)).toMatchObject({ changed: [] });
    res = await send("/api/config/providers", "PATCH", { openai: { apiKey: "sk-…0000" } });
    expect(res.status).toBe(400);
    expect((await json(res)).error.details.path).toBe("providers.openai.apiKey");

    res = await send("/api/config/providers", "PATCH", { groq: { baseUrl: llm.url, apiKey: "gsk_fresh_secret_abcdef123" } });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.config.providers.groq.apiKey).toBe("gsk…f123");
    expect(JSON.stringify(body)).not.toContain("gsk_fresh_secret_abcdef123");
    expect(yaml()).toMatch(/^ {4}apiKey: \$\{GROQ_API_KEY\}$/m);
    expect(yaml()).not.toContain("gsk_fresh");
    expect(readFileSync(join(d.dir, ".env"), "utf8")).toContain("GROQ_API_KEY=gsk_fresh_secret_abcdef123");
  });

  it("rejects an unknown section and a bad value without touching the file", async () => {
    const before = yaml();
    expect((await send("/api/config/nope", "PATCH", {})).status).toBe(400);
    const res = await send("/api/config/agent", "PATCH", { maxSteps: 0 });
    expect(res.status).toBe(400);
    expect((await json(res)).error.details.path).toBe("agent.maxSteps");
    expect(yaml()).toBe(before);
  });
});

describe("models and providers", () => {
  it("adds, tests, activates, replaces and removes a model", async () => {
    let res = await send("/api/models", "POST", { name: "spare", provider: "openai", model: "test-model" });
    expect(res.status).toBe(201);
    expect((await json(res)).model).toMatchObject({ name: "spare", model: "test-model", contextTokens: 128000, active: false });
    expect(yaml()).toMatch(/^ {2}spare:\n {4}provider: openai\n {4}model: test-model\n/m);
    expect((await send("/api/models", "POST", { name: "spare", provider: "openai", model: "x" })).status).toBe(409);

    res = await send("/api/models/spare/test", "POST", {});
    expect(await json(res)).toMatchObject({ ok: true, name: "spare", provider: "openai", model: "test-model" });

    expect((await json(await send("/api/models/active", "PUT", { model: "spare" }))).model).toBe("spare");
    expect((await send("/api/models/spare", "DELETE", {})).status).toBe(409);
    await send("/api/chat", "POST", { text: "hi" });
    expect(chatRequests(llm).at(-1)!.body.model).toBe("test-model");
    await send("/api/models/active", "PUT", { model: "main" });

    res = await send("/api/models/spare", "PUT", { provider: "openai", model: "other", maxOutputTokens: 100 });
    expect((await json(res)).model).toMatchObject({ model: "other", maxOutputTokens: 100 });
    expect((await send("/api/models/ghost", "PUT", { provider: "openai", model: "x" })).status).toBe(404);
    res = await send("/api/models/spare", "DELETE", {});
    expect(await json(res)).toEqual({ deleted: "spare" });
    expect(yaml()).not.toContain("spare:");
  });

  it("reports a provider's error from a model test as ok:false, not as a 5xx", async () => {
    llm.onRequest(() => ({ status: 401, errorMessage: "Incorrect API key provided" }));
    const res = await send("/api/models/main/test", "POST", { prompt: "ping" });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({ ok: false, name: "main" });
    expect(body.error.message).toMatch(/401.*Incorrect API key/);
    expect(JSON.stringify(body)).not.toContain(KEY);
    expect((await send("/api/models/ghost/test", "POST", {})).status).toBe(404);
  });

  it("tests a provider config without saving it", async () => {
    const before = yaml();
    let body = await json(await send("/api/providers/test", "POST", { baseUrl: llm.url }));
    expect(body).toMatchObject({ ok: true });
    expect(body.models).toContain("gpt-4o-mini");
    body = await json(await send("/api/providers/test", "POST", { name: "openai", apiKey: "sk-…WXYZ" }));
    expect(body.ok).toBe(true);
    body = await json(await send("/api/providers/test", "POST", { baseUrl: "http://127.0.0.1:9/v1" }));
    expect(body).toMatchObject({ ok: false, error: { code: "model_error" } });
    expect(yaml()).toBe(before);
  });

  it("lists configured providers with masked keys, the known-provider catalog and prices", async () => {
    const { providers } = await json(await d.api("/api/providers"));
    expect(providers.find((p: any) => p.name === "openai")).toMatchObject({ apiKey: "sk-…WXYZ", models: ["main"] });
    const known = (await json(await d.api("/api/models/providers"))).providers;
    expect(known.map((p: any) => p.id)).toEqual(expect.arrayContaining(["openai", "openrouter", "ollama", "groq", "gemini"]));
    let main = (await json(await d.api("/api/models/catalog"))).models.find((m: any) => m.name === "main");
    expect(main).toMatchObject({ price: null, priceSource: null });
    await send("/api/config/pricing", "PATCH", { [main.model]: { inputPerMTok: 1, outputPerMTok: 2 } });
    main = (await json(await d.api("/api/models/catalog"))).models.find((m: any) => m.name === "main");
    expect(main).toMatchObject({ price: { inputPerMTok: 1, outputPerMTok: 2 }, priceSource: "config" });
  });
});

describe("edits of agentd.yaml by hand", () => {
  it("applies a valid edit live and ignores an invalid one with a warning naming the key path", async () => {
    writeFileSync(yamlFile(), yaml().replace(/model: \S+-model$/m, "model: hand-edited"));
    await waitFor(async () => (await json(await d.api("/api/models/active"))).entry.model === "hand-edited", "the edit to apply", 5000);
    writeFileSync(yamlFile(), yaml().replace("model: hand-edited", "model: hand-edited\n    temperature: 7"));
    await waitFor(() => /invalid at models\.main\.temperature/.test(d.output()), "the warning", 5000);
    expect((await json(await d.api("/api/models/active"))).entry).toMatchObject({ model: "hand-edited" });
    expect((await json(await d.api("/api/models/active"))).entry.temperature).toBeUndefined();
  });
});
