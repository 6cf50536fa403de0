/**
 * Security (issue 7): the WebSocket side of authentication, the bind address, limits (frame size, body size,
 * frames per second, queued runs per session) and secret redaction, against real daemons started through the
 * CLI. The table-driven REST token test over the OpenAPI document lives in tests/rest-api.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { connect } from "node:net";
import { join } from "node:path";
import { startFakeLlm, type FakeLlm } from "./support/fake-llm.js";
import { initAgent, runCli, startDaemon, waitFor, type RunningDaemon } from "./support/daemon.js";
import { createHash } from "node:crypto";
import { clientProofOf, keyIdOfToken, keyOfToken } from "../protocol/handshake.js";
import { RawWs } from "./support/raw-ws.js";

let llm: FakeLlm;
const daemons: RunningDaemon[] = [];
const wsUrl = (d: RunningDaemon) => `ws://127.0.0.1:${d.port}/ws`;

beforeAll(async () => {
  llm = await startFakeLlm();
});
afterAll(async () => {
  await Promise.all(daemons.map((d) => d.kill()));
  await llm.close();
});

describe("the WebSocket handshake", () => {
  let d: RunningDaemon;
  beforeAll(async () => {
    const { dir } = await initAgent({ llmUrl: llm.url });
    d = await startDaemon(dir);
    daemons.push(d);
  });

  it("closes 4401 for a wrong token, an empty one, and one that differs only in its last character", async () => {
    const near = d.token.slice(0, -1) + (d.token.endsWith("A") ? "B" : "A");
    for (const token of ["wrong", "", near, d.token + "x"]) {
      const c = await RawWs.open(wsUrl(d));
      const err = await c.hello(token);
      expect(err).toMatchObject({ type: "error", error: { code: "unauthorized" } });
      expect(JSON.stringify(err)).not.toContain(d.token);
      expect((await c.closed).code).toBe(4401);
    }
  });

  it("closes 4426 when no protocol version is in common", async () => {
    const c = await RawWs.open(wsUrl(d));
    const err = await c.hello(d.token, { min: 99, max: 120 });
    expect(err).toMatchObject({ type: "error", error: { code: "unsupported_version", details: { min: 2 } } });
    expect((await c.closed).code).toBe(4426);
  });

  it("tells a protocol 1 client (token in hello) to update, with 4426", async () => {
    const c = await RawWs.open(wsUrl(d));
    c.send({ type: "hello", token: d.token, protocol: { min: 1, max: 1 }, client: { name: "old" } });
    const err = await c.next((f) => f.type === "error");
    expect(err.error.code).toBe("unsupported_version");
    expect(err.error.message).toMatch(/protocol 2\.\.2.*protocol 1 clients send the token in hello.*update the client/);
    expect((await c.closed).code).toBe(4426);
  });

  it("proves itself first, and never sends the token or its hash", async () => {
    const c = await RawWs.open(wsUrl(d));
    expect((await c.hello(d.token)).type).toBe("welcome"); // hello() checks the server's proof before answering
    const seen = JSON.stringify(await c.request("agent.info", {}));
    const h = createHash("sha256").update(d.token).digest();
    for (const s of [d.token, h.toString("hex"), h.toString("base64url"), h.toString("base64")]) expect(seen).not.toContain(s);
    await c.close();
  });

  it("refuses a client that knows the key id but not the token, and a proof replayed from another connection", async () => {
    // a recorded good handshake
    const good = await RawWs.open(wsUrl(d));
    const nonce = "c".repeat(43);
    good.send({ type: "hello", protocol: { min: 2, max: 2 }, keyId: keyIdOfToken(d.token), clientNonce: nonce });
    const ch = await good.next((f) => f.type === "challenge");
    const proof = clientProofOf(keyOfToken(d.token), ch.serverNonce, nonce);
    good.send({ type: "auth", proof });
    expect((await good.next((f) => f.type === "welcome" || f.type === "error")).type).toBe("welcome");
    await good.close();
    // the same hello and the recorded proof on a new connection: the server's nonce is new, the proof is not
    for (const bad of [proof, "A".repeat(43)]) {
      const c = await RawWs.open(wsUrl(d));
      c.send({ type: "hello", protocol: { min: 2, max: 2 }, keyId: keyIdOfToken(d.token), clientNonce: nonce });
      await c.next((f) => f.type === "challenge");
      c.send({ type: "auth", proof: bad });
      expect(await c.next((f) => f.type === "error" || f.type === "welcome")).toMatchObject({ type: "error", error: { code: "unauthorized" } });
      expect((await c.closed).code).toBe(4401);
    }
  });

  it("closes 1008 for auth before hello", async () => {
    const c = await RawWs.open(wsUrl(d));
    c.send({ type: "auth", proof: "A".repeat(43) });
    expect((await c.next((f) => f.type === "error")).error.code).toBe("bad_request");
    expect((await c.closed).code).toBe(1008);
  });

  it("answers no method before the handshake: a request first closes 1008", async () => {
    const c = await RawWs.open(wsUrl(d));
    c.send({ type: "req", id: 1, method: "sessions.list", params: {} });
    const err = await c.next((f) => f.type === "error");
    expect(err.error.code).toBe("unauthorized");
    expect(c.frames.some((f) => f.type === "res")).toBe(false);
    expect((await c.closed).code).toBe(1008);
  });

  it("serves the WebSocket only at /ws", async () => {
    await expect(RawWs.open(`ws://127.0.0.1:${d.port}/api/health`)).rejects.toThrow(/404/);
  });
});

describe("the bind address", () => {
  it("binds 127.0.0.1 by default: the port is closed on the machine's other addresses", async () => {
    const { dir } = await initAgent({ llmUrl: llm.url });
    const cfg = readFileSync(join(dir, "agentd.yaml"), "utf8");
    expect(cfg).toMatch(/host: "?127\.0\.0\.1"?/);
    const d = await startDaemon(dir);
    daemons.push(d);
    expect(d.output()).toContain(`listening on http://127.0.0.1:${d.port}`);
    const others = Object.values(networkInterfaces()).flat().filter((i) => i && !i.internal && i.family === "IPv4");
    for (const i of others) {
      const refused = await new Promise<boolean>((resolve) => {
        const s = connect({ host: i!.address, port: d.port });
        s.once("connect", () => (s.destroy(), resolve(false)));
        s.once("error", () => resolve(true));
      });
      expect(refused, `port open on ${i!.address}`).toBe(true);
    }
    await d.stop();
  });

  it("refuses to listen on a non-loopback address without a token, and names the fix", async () => {
    const { dir } = await initAgent({ llmUrl: llm.url, edit: (c) => (c.server.host = "0.0.0.0") });
    writeFileSync(join(dir, ".env"), readFileSync(join(dir, ".env"), "utf8").replace(/^AGENTD_TOKEN=.*$/m, ""));
    const r = await runCli(["start", dir], { env: { AGENTD_TOKEN: "" } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without a token/);
    expect(r.stderr).toContain("AGENTD_TOKEN");
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack
    // with a token it starts, and the token is required
    appendFileSync(join(dir, ".env"), "AGENTD_TOKEN=a-long-enough-token-for-this-test-0123456789\n");
    const d = await startDaemon(dir);
    daemons.push(d);
    expect((await fetch(`${d.url}/api/sessions`)).status).toBe(401);
    expect((await d.api("/api/sessions")).status).toBe(200);
    await d.stop();
  });
});

describe("limits", () => {
  let d: RunningDaemon;
  beforeAll(async () => {
    const { dir } = await initAgent({
      llmUrl: llm.url,
      edit: (c) => {
        Object.assign(c.server, { maxFrameBytes: 4096, maxBodyBytes: 2048, maxFramesPerSecond: 5, frameBurst: 10 });
        c.agent = { ...c.agent, maxQueuedPerSession: 2, titleSessions: false };
      },
    });
    d = await startDaemon(dir);
    daemons.push(d);
  });

  it("closes a connection that sends a frame above server.maxFrameBytes with 1009", async () => {
    const c = await RawWs.connect(wsUrl(d), d.token);
    c.send({ type: "req", id: 1, method: "agent.info", params: { pad: "x".repeat(5000) } });
    expect((await c.closed).code).toBe(1009);
    const ok = await RawWs.connect(wsUrl(d), d.token); // the daemon is fine
    expect((await ok.request("agent.info", {})).ok).toBe(true);
    await ok.close();
  });

  it("answers 413 JSON to a REST body above server.maxBodyBytes, declared or streamed", async () => {
    const big = JSON.stringify({ title: "x".repeat(4000) });
    const declared = await d.api("/api/sessions", { method: "POST", body: big });
    expect(declared.status).toBe(413);
    expect(await declared.json()).toMatchObject({ error: { code: "payload_too_large" } });
    const stream = new ReadableStream({
      start(ctl) {
        for (let i = 0; i < 4; i++) ctl.enqueue(new TextEncoder().encode("x".repeat(1000)));
        ctl.close();
      },
    });
    const chunked = await d.api("/api/chat", { method: "POST", body: stream, duplex: "half" } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(((await chunked.json()) as { error: { code: string } }).error.code).toBe("payload_too_large");
    const sessions = (await (await d.api("/api/sessions")).json()) as { sessions: unknown[] };
    expect(sessions.sessions).toEqual([]);
  });

  it("answers frames over server.maxFramesPerSecond with rate_limited and closes a client that keeps going (1008)", async () => {
    const c = await RawWs.connect(wsUrl(d), d.token); // the handshake (hello, auth) took two of the 10 tokens
    const first = await Promise.all(Array.from({ length: 8 }, () => c.request("agent.info", {})));
    expect(first.every((r) => r.ok)).toBe(true);
    for (let i = 0; i < 40; i++) c.send({ type: "req", id: 100 + i, method: "agent.info", params: {} });
    const closed = await c.closed;
    expect(closed.code).toBe(1008);
    expect(closed.reason).toMatch(/too many frames/);
    const limited = c.frames.filter((f) => f.type === "res" && !f.ok);
    expect(limited.length).toBeGreaterThanOrEqual(9);
    expect(limited[0]!.error).toMatchObject({ code: "rate_limited", retryable: true, details: { maxFramesPerSecond: 5, frameBurst: 10 } });
    // the limit is per connection
    const other = await RawWs.connect(wsUrl(d), d.token);
    expect((await other.request("agent.info", {})).ok).toBe(true);
    await other.close();
  });

  it("serves a limited client again once it slows down", async () => {
    const c = await RawWs.connect(wsUrl(d), d.token);
    const answers = await Promise.all(Array.from({ length: 12 }, () => c.request("agent.info", {})));
    const refused = answers.filter((a) => !a.ok).map((a) => a.error.code);
    expect(refused.length).toBeGreaterThanOrEqual(2); // 12 at once against a bucket of 10 (the handshake took two)
    expect(new Set(refused)).toEqual(new Set(["rate_limited"]));
    await new Promise((r) => setTimeout(r, 450)); // 5/s: two tokens back
    expect((await c.request("agent.info", {})).ok).toBe(true);
    await c.close();
  });

  it("refuses a message when agent.maxQueuedPerSession runs already wait in the session, and stores nothing", async () => {
    let modelCalled!: () => void;
    const running = new Promise<void>((r) => (modelCalled = r));
    llm.onRequest((req) => (req.body.messages.at(-1)?.content === "queue-1" ? (modelCalled(), { text: "slow", delayMs: 800 }) : undefined));
    const c = await RawWs.connect(wsUrl(d), d.token);
    const created = await c.request("sessions.create", {});
    const sessionId = created.result.session.id as string;
    const first = c.turn("queue-1", { idempotencyKey: "q1", sessionId });
    // the first run is under way (its model call started): the next two wait behind it
    await running;
    const queued = [c.turn("queue-2", { idempotencyKey: "q2", sessionId }), c.turn("queue-3", { idempotencyKey: "q3", sessionId })];
    const refused = await c.turn("queue-4", { idempotencyKey: "q4", sessionId }).catch((e: { wire: unknown }) => e.wire);
    expect(refused).toMatchObject({ code: "rate_limited", retryable: true, details: { maxQueuedPerSession: 2 } });
    const done = await Promise.all([first, ...queued]);
    expect(done.map((t) => t.final.event)).toEqual(["run.done", "run.done", "run.done"]);
    const hist = (await (await d.api(`/api/sessions/${sessionId}/messages`)).json()) as { messages: Array<{ content: string }> };
    expect(hist.messages.map((m) => m.content).filter((t) => t.startsWith("queue-"))).toEqual(["queue-1", "queue-2", "queue-3"]);
    // once the queue has room the same key is accepted
    const again = await c.turn("queue-4", { idempotencyKey: "q4", sessionId });
    expect(again.final.payload.text).toBe("You said: queue-4");
    llm.onRequest(undefined);
    await c.close();
  });
});

describe("secrets", () => {
  const apiKey = "sk-live-SECRETapikey-0123456789abcdef";
  const botToken = "123456789:AAsecretBotToken_abcdefghijklmnop";
  let d: RunningDaemon;
  let dir: string;
  beforeAll(async () => {
    ({ dir } = await initAgent({
      llmUrl: llm.url,
      edit: (c) => {
        c.providers.openai.apiKey = "${SEC_TEST_OPENAI_KEY}";
        c.models.backup = { provider: "openai", model: "backup-model" };
        c.fallbackModels = ["backup"];
        c.channels = { telegram: { botToken: "${SEC_TEST_BOT_TOKEN}", enabled: false } };
        c.agent = { ...c.agent, titleSessions: false };
      },
    }));
    appendFileSync(join(dir, ".env"), `SEC_TEST_OPENAI_KEY=${apiKey}\nSEC_TEST_BOT_TOKEN=${botToken}\n`);
    d = await startDaemon(dir);
    daemons.push(d);
  });
  const leaks = (text: string): string[] => [apiKey, botToken, d.token].filter((s) => text.includes(s));

  it("keeps provider keys, bridge tokens and the agent token out of errors, stored messages and logs", async () => {
    const say = `provider said: key ${apiKey}, bot ${botToken}, agent ${d.token}`;
    llm.enqueue({ status: 500, errorMessage: `first ${say}` }, { status: 401, errorMessage: `second ${say}` });
    const c = await RawWs.connect(wsUrl(d), d.token);
    const t = await c.turn("leak please", { idempotencyKey: "leak-1" });
    await c.close();
    expect(llm.requests.at(-1)!.headers.authorization).toBe(`Bearer ${apiKey}`); // the key does reach its provider
    await waitFor(() => readFileSync(join(dir, "logs", "agentd.log"), "utf8").includes("trying the next"), "the fallback log line");
    expect(leaks(readFileSync(join(dir, "logs", "agentd.log"), "utf8"))).toEqual([]);
    expect(leaks(d.output())).toEqual([]);
    const logs = await d.api("/api/logs");
    expect(logs.status).toBe(200);
    expect(leaks(await logs.text())).toEqual([]);
    expect(t.final.event).toBe("run.error");
    expect(t.final.payload.error.code).toBe("model_error");
    expect(t.final.payload.error.message).toContain("[redacted]");
    expect(leaks(JSON.stringify(t.events))).toEqual([]);
    const hist = await (await d.api(`/api/sessions/${t.sessionId}/messages`)).text();
    expect(leaks(hist)).toEqual([]);
  });

  it("shows tool outputs to the model with secrets replaced by [redacted]", async () => {
    appendFileSync(join(dir, "MEMORY.md"), `\n- the provider key is ${apiKey} and the bot token ${botToken}\n`);
    llm.enqueue({ toolCalls: [{ name: "memory_read", arguments: "{}" }] }, { text: "noted" });
    const before = llm.requests.length;
    const c = await RawWs.connect(wsUrl(d), d.token);
    const t = await c.turn("what do you remember?", { idempotencyKey: "leak-2" });
    expect(t.final.payload.text).toBe("noted");
    const second = llm.requests.slice(before).at(-1)!.body as { messages: Array<{ role: string; content: string }> };
    const toolMsg = second.messages.find((m) => m.role === "tool")!;
    expect(toolMsg.content).toContain("the provider key is [redacted] and the bot token [redacted]");
    // MEMORY.md is also part of the system prompt: the secrets must not travel there either
    for (const r of llm.requests.slice(before)) expect(leaks(JSON.stringify(r.body))).toEqual([]);
    expect((second.messages[0]!.content)).toContain("the provider key is [redacted]");
    const toolEvents = t.events.filter((e) => e.event === "run.tool");
    expect(leaks(JSON.stringify(toolEvents))).toEqual([]);
    await c.close();
  });

  it("masks secrets in GET /api/config", async () => {
    const res = await d.api("/api/config");
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(leaks(text)).toEqual([]);
    expect(text).toContain("providers");
  });
});
