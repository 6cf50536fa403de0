import { describe, it, expect, beforeAll, afterAll, beforeEach } from "vitest";
import { startFakeLlm, type FakeLlm } from "./support/fake-llm.js";
import { initAgent, startDaemon, cleanup, waitFor, type RunningDaemon } from "./support/daemon.js";
import { chatRequests, collect, lastUser, scriptSideCalls, SCRIPTED_TITLE } from "./support/agent-llm.js";
import { AgentdClient } from "../protocol/client.js";
import type { RunEvent } from "../protocol/events.js";

let llm: FakeLlm;
let daemon: RunningDaemon;
let client: AgentdClient;
let dir: string;

beforeAll(async () => {
  llm = await startFakeLlm();
  ({ dir } = await initAgent({
    llmUrl: llm.url,
    edit: (cfg) => {
      cfg.models.backup = { provider: "openai", model: "gpt-4o" };
      cfg.fallbackModels = ["backup"];
      cfg.agent = { maxSteps: 3 };
      cfg.tools = { deny: ["memory_read"] };
      cfg.pricing = { "gpt-4o-mini": { inputPerMTok: 1, outputPerMTok: 2 } };
    },
  }));
  daemon = await startDaemon(dir);
  client = await AgentdClient.connect({ url: daemon.url, token: daemon.token });
});

afterAll(async () => {
  client?.close();
  await daemon?.stop();
  await llm?.close();
  if (dir) cleanup(dir);
});

beforeEach(() => {
  llm.reset();
  scriptSideCalls(llm);
});

const messagesOf = async (sessionId: string) => ((await (await daemon.api(`/api/sessions/${sessionId}/messages`)).json()) as { messages: any[] }).messages;

describe("agent loop", () => {
  it("runs a tool the model asks for and streams call, result and text in order; the database holds all of it", async () => {
    llm.enqueue({ text: "Let me check.", toolCalls: [{ id: "call_t", name: "current_time", arguments: "{}" }] }, { text: "It is now." });
    const run = await client.send("What time is it?");
    const events = await collect(run);
    const kinds = events.map((e) => (e.event === "run.tool" ? `tool.${e.payload.phase}` : e.event));
    const idx = (k: string) => kinds.indexOf(k);
    expect(idx("tool.call")).toBeGreaterThan(-1);
    expect(idx("tool.result")).toBeGreaterThan(idx("tool.call"));
    expect(kinds.lastIndexOf("run.delta")).toBeGreaterThan(idx("tool.result"));
    expect(kinds.at(-1)).toBe("run.done");
    const result = events.find((e): e is Extract<RunEvent, { event: "run.tool" }> => e.event === "run.tool" && e.payload.phase === "result")!.payload;
    expect(result).toMatchObject({ toolCallId: "call_t", name: "current_time", isError: false });
    expect(result.result).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2} \w+day \(.+\)$/);
    // the client saw both steps' text; joined deltas equal the final text (the stored final message is the last step)
    expect(events.at(-1)!.payload).toMatchObject({ status: "ok", text: "Let me check.\n\nIt is now.", model: "main" });
    expect(events.filter((e) => e.event === "run.delta").map((e) => (e.payload as { text: string }).text).join("")).toBe("Let me check.\n\nIt is now.");

    const second = chatRequests(llm)[1]!.body.messages;
    expect(second.at(-2)).toMatchObject({ role: "assistant", tool_calls: [{ id: "call_t", function: { name: "current_time", arguments: "{}" } }] });
    expect(second.at(-1)).toEqual({ role: "tool", tool_call_id: "call_t", content: result.result });

    const stored = await messagesOf(run.sessionId);
    expect(stored.map((m) => m.role)).toEqual(["user", "assistant", "tool", "assistant"]);
    expect(stored[1]).toMatchObject({ content: "Let me check.", toolCalls: [{ id: "call_t", name: "current_time", arguments: "{}" }] });
    expect(stored[2]).toMatchObject({ toolCallId: "call_t", content: result.result, status: "ok" });
    expect(stored[3]).toMatchObject({ content: "It is now.", status: "ok", model: "main" });
  });

  it("sends bad JSON arguments and unknown tools back to the model as error results, and goes on", async () => {
    llm.enqueue(
      { toolCalls: [{ name: "memory_append", arguments: '{"text": "unterminated' }, { name: "no_such_tool", arguments: "{}" }, { name: "memory_read", arguments: "{}" }] },
      { text: "Sorry about that." },
    );
    const run = await client.send("remember this");
    const events = await collect(run);
    const results = events.filter((e): e is Extract<RunEvent, { event: "run.tool" }> => e.event === "run.tool" && e.payload.phase === "result").map((e) => e.payload);
    expect(results.map((r) => r.isError)).toEqual([true, true, true]);
    const tools = chatRequests(llm)[1]!.body.messages.filter((m: any) => m.role === "tool").map((m: any) => m.content);
    expect(tools[0]).toMatch(/^Error: the arguments are not valid JSON/);
    expect(tools[1]).toBe('Error: unknown tool "no_such_tool"');
    expect(tools[2]).toBe('Error: unknown tool "memory_read"'); // denied by the tool policy
    expect(events.at(-1)!.payload).toMatchObject({ status: "ok", text: "Sorry about that." });
    const stored = await messagesOf(run.sessionId);
    expect(stored.filter((m) => m.role === "tool").map((m) => m.status)).toEqual(["error", "error", "error"]);
  });

  it("offers only the tools the policy allows", async () => {
    await (await client.send("hi")).result();
    const names = chatRequests(llm)[0]!.body.tools.map((t: any) => t.function.name);
    expect(names).toContain("current_time");
    expect(names).toContain("memory_append");
    expect(names).not.toContain("memory_read");
  });

  it("ends with status max_steps when the model keeps calling tools", async () => {
    scriptSideCalls(llm, () => ({ toolCalls: [{ name: "current_time", arguments: "{}" }] }));
    const done = await (await client.send("loop forever")).result();
    expect(done.status).toBe("max_steps");
    // a chat user (a bridge sends the text) learns why the answer stopped
    expect(done.text).toMatch(/^\(Stopped after 3 tool steps without a final answer/);
    expect(chatRequests(llm)).toHaveLength(3);
  });

  it("runs different sessions in parallel and the messages of one session in order", async () => {
    scriptSideCalls(llm, (r) => ({ text: `reply to ${lastUser(r)}`, delayMs: 300 }));
    const a1 = await client.send("a1");
    const a2 = await client.send("a2", { sessionId: a1.sessionId });
    const b1 = await client.send("b1");
    const [ea1, ea2, eb1] = await Promise.all([collect(a1), collect(a2), collect(b1)]);
    expect(ea2.some((e) => e.event === "run.status" && e.payload.status === "queued")).toBe(true);
    for (const [events, text] of [[ea1, "reply to a1"], [ea2, "reply to a2"], [eb1, "reply to b1"]] as const) {
      expect(events.at(-1)!.payload).toMatchObject({ status: "ok", text });
    }
    const req = (u: string) => chatRequests(llm).find((r) => lastUser(r) === u)!;
    expect(Math.abs(req("b1").receivedAt - req("a1").receivedAt)).toBeLessThan(250); // in parallel
    expect(req("a2").receivedAt - req("a1").receivedAt).toBeGreaterThanOrEqual(290); // queued behind a1
    expect(req("a1").body.messages.map((m: any) => m.content).slice(1)).toEqual(["a1"]); // a2 not yet in a1's context
    expect(req("a2").body.messages.map((m: any) => m.content).slice(1)).toEqual(["a1", "reply to a1", "a2"]);
  });

  it("aborts mid-stream within 100 ms, keeps the partial text as aborted, then answers the next queued message", async () => {
    llm.enqueue({ text: "word ".repeat(400), chunkSize: 5, chunkDelayMs: 10 }, { text: "next answer" });
    const first = await client.send("tell me a long story");
    const next = await client.send("and then?", { sessionId: first.sessionId });
    let partial = "";
    let abortedAt = 0;
    let doneAfterMs = -1;
    let done: any;
    for await (const ev of first.events) {
      if (ev.event === "run.delta") {
        partial += ev.payload.text;
        if (partial.length >= 50 && !abortedAt) {
          abortedAt = Date.now();
          void client.request("chat.abort", { runId: first.runId });
        }
      }
      if (ev.event === "run.done") {
        doneAfterMs = Date.now() - abortedAt;
        done = ev.payload;
      }
    }
    expect(done).toMatchObject({ status: "aborted" });
    expect(doneAfterMs).toBeLessThan(100);
    expect(done.text).toBe(partial);
    expect(partial.length).toBeLessThan(2000);
    expect((await next.result()).text).toBe("next answer");
    const stored = await messagesOf(first.sessionId);
    expect(stored.map((m) => [m.role, m.status])).toEqual([["user", "ok"], ["user", "ok"], ["assistant", "aborted"], ["assistant", "ok"]]);
    expect(stored[2].content).toBe(partial);
    // the next request saw the partial answer in order, before the queued question
    expect(chatRequests(llm)[1]!.body.messages.slice(1).map((m: any) => m.content)).toEqual(["tell me a long story", partial, "and then?"]);
  });

  it("answers with the fallback on a 429 from the primary, says so in the events, and records usage and cost of that call", async () => {
    llm.enqueue({ status: 429 }, { text: "from the backup", usage: { prompt_tokens: 1000, completion_tokens: 100 } });
    const run = await client.send("hello?");
    const events = await collect(run);
    expect(events.some((e) => e.event === "run.status" && e.payload.model === "backup")).toBe(true);
    expect(events.at(-1)!.payload).toMatchObject({ status: "ok", text: "from the backup", model: "backup", usage: { promptTokens: 1000, completionTokens: 100 } });
    // gpt-4o, built-in price: $2.50 in, $10 out per million tokens
    expect((events.at(-1)!.payload as any).usage.costUsd).toBeCloseTo((1000 * 2.5 + 100 * 10) / 1e6, 12);
    expect(chatRequests(llm).map((r) => r.body.model)).toEqual(["gpt-4o-mini", "gpt-4o"]);
    const stored = await messagesOf(run.sessionId);
    expect(stored.at(-1)).toMatchObject({ content: "from the backup", model: "backup" });
  });

  it("titles a session after its first exchange", async () => {
    const run = await client.send("Plan a trip to Rome");
    await run.result();
    const title = await waitFor(async () => {
      const { sessions } = (await (await daemon.api("/api/sessions")).json()) as { sessions: Array<{ id: string; title: string | null }> };
      return sessions.find((s) => s.id === run.sessionId)?.title;
    }, "the session title");
    expect(title).toBe(SCRIPTED_TITLE);
  });

  it("reports usage this month by model, day by day, and the pricing table in force", async () => {
    const usage = (await (await daemon.api("/api/usage")).json()) as any;
    const byModel = Object.fromEntries(usage.models.map((m: any) => [m.model, m]));
    expect(byModel.backup.calls).toBeGreaterThanOrEqual(1);
    expect(byModel.backup.costUsd).toBeCloseTo((byModel.backup.promptTokens * 2.5 + byModel.backup.completionTokens * 10) / 1e6, 10);
    expect(byModel.main.costUsd).toBeCloseTo((byModel.main.promptTokens * 1 + byModel.main.completionTokens * 2) / 1e6, 10); // config override
    expect(usage.total.calls).toBe(usage.models.reduce((n: number, m: any) => n + m.calls, 0));

    const daily = (await (await daemon.api("/api/usage/daily?days=7")).json()) as any;
    expect(daily.days).toHaveLength(7);
    expect(daily.days.at(-1).calls).toBe(usage.total.calls);
    expect((await daemon.api("/api/usage/daily?days=0")).status).toBe(400);

    const pricing = (await (await daemon.api("/api/usage/pricing")).json()) as any;
    expect(pricing.prices.find((p: any) => p.model === "gpt-4o-mini")).toEqual({ model: "gpt-4o-mini", inputPerMTok: 1, outputPerMTok: 2, source: "config" });
    expect(pricing.models).toEqual([{ name: "main", model: "gpt-4o-mini", pricedAs: "gpt-4o-mini" }, { name: "backup", model: "gpt-4o", pricedAs: "gpt-4o" }]);
  });
});
