import { describe, it, expect, beforeAll, afterAll, afterEach } from "vitest";
import { startFakeLlm, type FakeLlm } from "../../tests/support/fake-llm.js";
import { agentFixture } from "./test-support.js";
import { completeModelCall, streamModelCall } from "./model-call.js";
import { AgentdError } from "../errors.js";

let llm: FakeLlm;
let fx: ReturnType<typeof agentFixture>;
beforeAll(async () => {
  llm = await startFakeLlm();
  fx = agentFixture(llm.url, (c) => (c.fallbackModels = ["backup"]));
});
afterAll(async () => {
  fx.cleanup();
  await llm.close();
});
afterEach(() => llm.reset());

const messages = [{ role: "user" as const, content: "hi" }];

describe("streamed model call", () => {
  it("assembles streamed tool calls (id and name first, arguments in pieces) and reports usage", async () => {
    llm.enqueue({
      text: "Let me look.",
      toolCalls: [{ id: "a", name: "current_time", arguments: "{}" }, { id: "b", name: "echo", arguments: '{"text":"a long argument split in pieces"}' }],
      usage: { prompt_tokens: 12, completion_tokens: 5, cached_tokens: 4 },
    });
    const deltas: string[] = [];
    const r = await streamModelCall({ pool: fx.pool, candidates: ["main"], messages, signal: new AbortController().signal, onDelta: (t) => deltas.push(t) });
    expect(deltas.join("")).toBe("Let me look.");
    expect(r.toolCalls).toEqual([{ id: "a", name: "current_time", arguments: "{}" }, { id: "b", name: "echo", arguments: '{"text":"a long argument split in pieces"}' }]);
    expect(r.usage).toEqual({ promptTokens: 12, completionTokens: 5, cachedTokens: 4 });
    expect(llm.requests[0]!.body.stream_options).toEqual({ include_usage: true });
  });

  it("falls back to the next model on 429 and 5xx, telling which model answered", async () => {
    llm.enqueue({ status: 429 }, { status: 503 }, { text: "from backup" });
    const fallbacks: string[] = [];
    const r = await streamModelCall({ pool: fx.pool, candidates: ["main", "backup", "main"], messages, signal: new AbortController().signal, onFallback: (m) => fallbacks.push(m) });
    expect(fallbacks).toEqual(["main", "backup"]);
    expect(r.model.name).toBe("main");
    llm.reset();
    llm.enqueue({ status: 429 }, { text: "ok" });
    const r2 = await streamModelCall({ pool: fx.pool, candidates: fx.pool.candidates(), messages, signal: new AbortController().signal });
    expect(r2.model.name).toBe("backup");
    expect(llm.requests.map((q) => q.body.model)).toEqual(["gpt-4o-mini", "gpt-4o"]);
  });

  it("does not fall back on a 400 (the request is wrong, not the model)", async () => {
    llm.enqueue({ status: 400 });
    const err = await streamModelCall({ pool: fx.pool, candidates: fx.pool.candidates(), messages, signal: new AbortController().signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentdError);
    expect((err as AgentdError).code).toBe("model_error");
    expect(llm.requests).toHaveLength(1);
  });

  it("stops mid-stream within 100 ms of an abort, keeping the partial text for the caller", async () => {
    llm.enqueue({ text: "a".repeat(400), chunkSize: 4, chunkDelayMs: 10 });
    const ac = new AbortController();
    let partial = "";
    const p = streamModelCall({ pool: fx.pool, candidates: ["main"], messages, signal: ac.signal, onDelta: (t) => (partial += t) });
    while (partial.length < 20) await new Promise((r) => setTimeout(r, 5));
    const t0 = Date.now();
    ac.abort();
    const err = await p.catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(100);
    expect((err as AgentdError).code).toBe("aborted");
    expect(partial.length).toBeGreaterThanOrEqual(20);
    expect(partial.length).toBeLessThan(400);
  });
});

describe("non-streamed model call", () => {
  it("answers without streaming and falls back like the streamed call", async () => {
    llm.enqueue({ status: 500 }, { text: "A title", usage: { prompt_tokens: 30, completion_tokens: 2 } });
    const r = await completeModelCall({ pool: fx.pool, candidates: fx.pool.candidates(), messages, signal: new AbortController().signal });
    expect(r).toMatchObject({ text: "A title", usage: { promptTokens: 30, completionTokens: 2, cachedTokens: 0 } });
    expect(r.model.name).toBe("backup");
    expect(llm.requests[1]!.body).toMatchObject({ stream: false, model: "gpt-4o" });
  });
});
