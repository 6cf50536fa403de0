import { describe, expect, it } from "vitest";
import { agentFixture, useFakeLlm } from "./test-support.js";
import { Runner, type SendParams } from "./runner.js";
import type { RunDeps } from "./run-loop.js";
import type { Tool } from "./tools/tool.js";
import { LoopBudget } from "../loop-budget.js";

// What a run's end looks like from outside (issue 20): the reply leaves before the run-end listeners run, a stop
// waits for them, and every model call's usage is stored once and counted in run.done.

const fake = useFakeLlm();
const { cleanups } = fake;

const echo: Tool = { name: "echo", description: "Echoes its text.", inputSchema: { type: "object" }, source: "builtin", run: async () => "echoed" };

function setup(onEnd?: RunDeps["onEnd"], budget?: LoopBudget) {
  const fx = agentFixture(fake.llm.url);
  const runner = new Runner({
    dir: fx.dir, store: fx.store, config: fx.config, pool: fx.pool, tools: () => [echo], logger: fx.logger, price: () => null,
    resolveSession: (p: SendParams) => ({ sessionId: p.sessionId ?? fx.store.createSession().id }),
    ...(onEnd ? { onEnd } : {}),
    ...(budget ? { budget } : {}),
  });
  cleanups.push(() => fx.cleanup());
  /** Sends `text`; resolves with the final event's name and payload, and every event name in order. */
  const run = (text: string, seen: string[] = []) =>
    new Promise<{ event: string; payload: any; runId: string }>((resolve) => {
      const sent = runner.send({ idempotencyKey: `k${Math.random()}`, text }, (event, payload) => {
        seen.push(event);
        if (event === "run.done" || event === "run.error") resolve({ event, payload, runId: sent.runId });
      });
    });
  return { fx, runner, run };
}

describe("the end of a run", () => {
  it("hands run.done to the client before the run-end listeners run, and a stop waits for them", async () => {
    const order: string[] = [];
    const t = setup(({ status }) => order.push(`onEnd:${status}`));
    const done = await t.run("hi", order);
    expect(done.event).toBe("run.done");
    expect(order.at(-1)).toBe("run.done");
    await t.runner.drain(1000);
    expect(order.slice(-2)).toEqual(["run.done", "onEnd:ok"]);
  });

  it("a listener that throws neither breaks the reply nor the next run", async () => {
    const t = setup(() => {
      throw new Error("listener bug");
    });
    expect((await t.run("one")).payload.text).toBe("You said: one");
    expect((await t.run("two")).payload.text).toBe("You said: two");
  });

  it("stores each model call's usage once and counts every call in run.done, tool steps included", async () => {
    const t = setup();
    fake.llm.enqueue({ toolCalls: [{ name: "echo", arguments: "{}" }], usage: { prompt_tokens: 100, completion_tokens: 7 } });
    fake.llm.enqueue({ text: "done", usage: { prompt_tokens: 120, completion_tokens: 3, cached_tokens: 50 } });
    const { event, payload, runId } = await t.run("use the tool");
    expect(event).toBe("run.done");
    expect(payload.usage).toMatchObject({ promptTokens: 220, completionTokens: 10, cachedTokens: 50 });
    expect(t.fx.store.runUsage(runId)).toMatchObject({ promptTokens: 220, completionTokens: 10, cachedTokens: 50 });
    // and a lone reply: its one call, stored with the run's end
    const lone = await t.run("hello");
    expect(lone.payload.usage.promptTokens).toBeGreaterThan(0);
    expect(t.fx.store.runUsage(lone.runId)).toEqual(lone.payload.usage);
    // the rows say when each run started and ended
    for (const id of [runId, lone.runId]) {
      const row = t.fx.store.getRun(id)!;
      expect(row.status).toBe("ok");
      expect(row.startedAt).toBeGreaterThanOrEqual(row.createdAt);
      expect(row.finishedAt).toBeGreaterThanOrEqual(row.startedAt!);
    }
  });

  it("a failed model call after a tool step keeps the usage of the step before", async () => {
    const t = setup();
    fake.llm.enqueue({ toolCalls: [{ name: "echo", arguments: "{}" }], usage: { prompt_tokens: 40, completion_tokens: 2 } });
    fake.llm.enqueue({ status: 400, errorMessage: "bad request" });
    const { event, runId } = await t.run("use the tool, then fail");
    expect(event).toBe("run.error");
    expect(t.fx.store.runUsage(runId)).toMatchObject({ promptTokens: 40, completionTokens: 2 });
  });
});

describe("accepting the first message of a new session", () => {
  it("stores the new session with the message, and a refused first message leaves no empty session behind", async () => {
    const t = setup();
    const attachments = [{ path: "uploads/not-there.png", filename: "x.png", mime: "image/png", bytes: 3 }];
    expect(() => t.runner.send({ idempotencyKey: "refused", text: "look", attachments })).toThrow(expect.objectContaining({ code: "bad_request" }));
    expect(t.fx.store.listSessions(10)).toEqual([]);
    const done = await t.run("hi");
    expect(done.payload.text).toBe("You said: hi");
    expect(t.fx.store.listSessions(10)).toEqual([expect.objectContaining({ messageCount: 2 })]);
  });
});

describe("runs under the event loop's time budget", () => {
  it("under a spent loop budget, a burst of runs in many sessions is spread over iterations; each session's turns keep their order", async () => {
    // a budget of 0: every run's start and end waits for an iteration of its own
    const budget = new LoopBudget(0);
    const t = setup(undefined, budget);
    const sessions = Array.from({ length: 8 }, () => t.fx.store.createSession().id);
    const got = new Map<string, string[]>(sessions.map((s) => [s, []]));
    const seqs: number[][] = [];
    const ends: Array<Promise<void>> = [];
    for (const sessionId of sessions) {
      for (let i = 0; i < 3; i++) {
        const seen: number[] = [];
        seqs.push(seen);
        ends.push(new Promise((resolve) => {
          t.runner.send({ idempotencyKey: `${sessionId}-${i}`, text: `${sessionId.slice(-4)} m${i}`, sessionId }, (event, payload: any, seq) => {
            seen.push(seq);
            if (event === "run.done") got.get(sessionId)!.push(payload.text);
            if (event === "run.done" || event === "run.error") resolve();
          });
        }));
      }
    }
    await Promise.all(ends);
    for (const sessionId of sessions) {
      expect(got.get(sessionId)).toEqual([0, 1, 2].map((i) => `You said: ${sessionId.slice(-4)} m${i}`));
    }
    for (const seen of seqs) expect(seen).toEqual(seen.map((_, i) => i + 1)); // every run's events contiguous, from 1
    expect(budget.stats.deferred).toBe(2 * 24); // each run's start and end took their turn
    expect(budget.stats.slices).toBeGreaterThanOrEqual(2 * 24);
    // stored as answered: the replies in the order of the messages
    const s0 = sessions[0]!;
    expect(t.fx.store.history(s0, 10).filter((m) => m.role === "assistant").map((m) => m.content)).toEqual([0, 1, 2].map((i) => `You said: ${s0.slice(-4)} m${i}`));
  });
});
