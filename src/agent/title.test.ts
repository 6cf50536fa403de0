import { describe, it, expect, beforeAll, afterAll, afterEach } from "vitest";
import { eq } from "drizzle-orm";
import { startFakeLlm, type FakeLlm } from "../../tests/support/fake-llm.js";
import { usageEvents } from "../store/schema.js";
import { agentFixture } from "./test-support.js";
import { RunHandle } from "./run-handle.js";

const NO_USAGE = { promptTokens: 0, completionTokens: 0, cachedTokens: 0, costUsd: null };
import { cleanTitle, createTitler, TITLE_INSTRUCTIONS } from "./title.js";

let llm: FakeLlm;
let fx: ReturnType<typeof agentFixture>;
beforeAll(async () => {
  llm = await startFakeLlm();
  fx = agentFixture(llm.url);
});
afterAll(async () => {
  fx.cleanup();
  await llm.close();
});
afterEach(() => llm.reset());

function exchange(reply = "Paris is the capital of France."): { sessionId: string; handle: RunHandle } {
  const s = fx.store.createSession();
  const { run } = fx.store.acceptMessage({ sessionId: s.id, content: "What is the capital of France?", idempotencyKey: `k-${s.id}` });
  fx.store.insertMessage({ sessionId: s.id, runId: run.id, role: "assistant", content: reply, status: "ok" });
  return { sessionId: s.id, handle: new RunHandle(run.id, s.id, "", undefined) };
}

function titler() {
  return createTitler({ store: fx.store, pool: fx.pool, config: fx.config, logger: fx.logger, price: () => 0.0001 });
}

describe("session titles", () => {
  it("titles a session after its first successful exchange and records the usage", async () => {
    const { sessionId, handle } = exchange();
    llm.enqueue({ text: '"Capital of France."\nextra line', usage: { prompt_tokens: 40, completion_tokens: 5 } });
    const t = titler();
    t.onEnd({ handle, status: "ok", model: "main", durationMs: 5, usage: NO_USAGE });
    await t.idle();
    expect(fx.store.getSession(sessionId)?.title).toBe("Capital of France");
    const body = llm.requests[0]!.body;
    expect(body).toMatchObject({ stream: false });
    expect(body.max_tokens).toBeUndefined();
    expect(body.messages[0].content).toBe(TITLE_INSTRUCTIONS);
    expect(body.messages[1].content).toBe("User: What is the capital of France?\n\nAssistant: Paris is the capital of France.");
    const usage = fx.store.db.select().from(usageEvents).where(eq(usageEvents.sessionId, sessionId)).all();
    expect(usage).toMatchObject([{ purpose: "title", runId: handle.id, promptTokens: 40, completionTokens: 5, costUsd: 0.0001 }]);
  });

  it("leaves titled sessions, failed runs and a disabled setting alone", async () => {
    const t = titler();
    const a = exchange();
    fx.store.setTitle(a.sessionId, "Mine");
    t.onEnd({ handle: a.handle, status: "ok", model: "main", durationMs: 5, usage: NO_USAGE });
    const b = exchange();
    t.onEnd({ handle: b.handle, status: "error", model: "main", durationMs: 5, usage: NO_USAGE });
    t.onEnd({ handle: b.handle, status: "aborted", model: "main", durationMs: 5, usage: NO_USAGE });
    fx.setConfig((c) => (c.agent.titleSessions = false));
    t.onEnd({ handle: b.handle, status: "ok", model: "main", durationMs: 5, usage: NO_USAGE });
    fx.setConfig(() => {});
    await t.idle();
    expect(llm.requests).toHaveLength(0);
    expect(fx.store.getSession(a.sessionId)?.title).toBe("Mine");
  });

  it("never blocks the run and never throws: a failing or stalled model only leaves the title empty", async () => {
    const t = titler();
    const a = exchange();
    llm.enqueue({ status: 400 });
    t.onEnd({ handle: a.handle, status: "ok", model: "main", durationMs: 5, usage: NO_USAGE });
    await t.idle();
    expect(fx.store.getSession(a.sessionId)?.title).toBeNull();

    const b = exchange();
    llm.enqueue({ stallAfterChunks: 0 });
    const t0 = Date.now();
    t.onEnd({ handle: b.handle, status: "ok", model: "main", durationMs: 5, usage: NO_USAGE });
    expect(Date.now() - t0).toBeLessThan(20);
    t.stop();
    await t.idle();
    expect(fx.store.getSession(b.sessionId)?.title).toBeNull();
  });
});

describe("cleanTitle", () => {
  it("keeps one clean line of at most 80 characters", () => {
    expect(cleanTitle("\n\n# Title: **Trip to Rome**\nmore")).toBe("Trip to Rome");
    expect(cleanTitle("“Budget   planning.”")).toBe("Budget planning");
    const long = cleanTitle(`${"word ".repeat(30)}end`);
    expect(long.length).toBeLessThanOrEqual(80);
    expect(long.endsWith("word…")).toBe(true);
    expect(cleanTitle("   ")).toBe("");
  });
});
