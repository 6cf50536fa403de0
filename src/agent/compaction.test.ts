import { describe, it, expect, beforeAll, afterAll, afterEach } from "vitest";
import { eq } from "drizzle-orm";
import { startFakeLlm, type FakeLlm } from "../../tests/support/fake-llm.js";
import { usageEvents } from "../store/schema.js";
import { agentFixture } from "./test-support.js";
import { createCompactor, SUMMARY_INSTRUCTIONS } from "./compaction.js";
import { conversationRows, toChatMessages } from "./context.js";

let llm: FakeLlm;
let fx: ReturnType<typeof agentFixture>;
let lastRun = "";
beforeAll(async () => {
  llm = await startFakeLlm();
  fx = agentFixture(llm.url, (c) => (c.models.main.contextTokens = 2048));
});
afterAll(async () => {
  fx.cleanup();
  await llm.close();
});
afterEach(() => llm.reset());

function compactor() {
  return createCompactor({
    store: fx.store, pool: fx.pool, config: fx.config, dir: fx.dir, logger: fx.logger, price: () => 0.001, runningRunId: () => lastRun,
  });
}

function addTurn(sessionId: string, i: number, size = 1000): void {
  const { run } = fx.store.acceptMessage({ sessionId, content: `question ${i} ${"q".repeat(size)}`, idempotencyKey: `${sessionId}-${i}` });
  fx.store.insertMessage({ sessionId, runId: run.id, role: "assistant", content: `answer ${i} ${"a".repeat(size)}`, status: "ok" });
  lastRun = run.id;
}

const isSummaryRequest = (body: any) => body.stream !== true && body.messages?.[0]?.content === SUMMARY_INSTRUCTIONS;

describe("compaction", () => {
  it("keeps a one-line mention of the files of compacted turns in the summary, across later compactions", async () => {
    const s = fx.store.createSession();
    const receipt = { path: "uploads/20261127-100000-abcdef-receipt.jpg", filename: "receipt.jpg", mime: "image/jpeg", bytes: 123_456 };
    const { run } = fx.store.acceptMessage({ sessionId: s.id, content: `a receipt ${"q".repeat(1000)}`, idempotencyKey: `${s.id}-files`, attachments: [receipt] });
    fx.store.insertMessage({ sessionId: s.id, runId: run.id, role: "assistant", content: `noted ${"a".repeat(1000)}`, status: "ok" });
    for (let i = 1; i <= 5; i++) addTurn(s.id, i);
    llm.onRequest((req) => (isSummaryRequest(req.body) ? { text: "- the user talked" } : undefined));
    const model = await fx.pool.resolve("main");
    expect(await compactor()(s.id, model, new AbortController().signal)).toBe(true);
    const line = "[file receipt.jpg: image/jpeg, 123 KB, uploads/20261127-100000-abcdef-receipt.jpg; sent earlier]";
    expect(llm.requests[0]!.body.messages[1].content).toContain(line);
    const summary = () => conversationRows(fx.store.contextMessages(s.id), lastRun)[0]!;
    expect(summary().content).toBe(`- the user talked\n\nFiles sent in these turns:\n${line}`);
    for (let i = 6; i <= 10; i++) addTurn(s.id, i);
    expect(await compactor()(s.id, model, new AbortController().signal)).toBe(true);
    expect(summary().content).toBe(`- the user talked\n\nFiles sent in these turns:\n${line}`);
  });

  it("leaves a session under the threshold alone, without calling the model", async () => {
    const s = fx.store.createSession();
    addTurn(s.id, 1, 100);
    expect(await compactor()(s.id, await fx.pool.resolve("main"), new AbortController().signal)).toBe(false);
    expect(llm.requests).toHaveLength(0);
  });

  it("summarises older turns into a stored summary, keeps the recent turn verbatim and the originals in the database", async () => {
    const s = fx.store.createSession();
    for (let i = 1; i <= 6; i++) addTurn(s.id, i);
    llm.onRequest((req) => (isSummaryRequest(req.body) ? { text: "- the user asked six questions", usage: { prompt_tokens: 900, completion_tokens: 9 } } : undefined));
    const model = await fx.pool.resolve("main");
    expect(await compactor()(s.id, model, new AbortController().signal)).toBe(true);

    const transcript = llm.requests[0]!.body.messages[1].content as string;
    expect(transcript).toContain("User: question 1 ");
    expect(transcript).toContain("Assistant: answer 5 ");
    expect(transcript).not.toContain("question 6");
    expect(JSON.stringify(llm.requests[0]!.body.messages).length / 4).toBeLessThan(2048 - 512); // the transcript fits the window

    const context = conversationRows(fx.store.contextMessages(s.id), lastRun);
    expect(context.map((r) => r.role)).toEqual(["summary", "user", "assistant"]);
    expect(context[0]!.content).toBe("- the user asked six questions");
    expect(context[1]!.content).toMatch(/^question 6/);
    const all = fx.store.history(s.id, 100);
    expect(all.filter((r) => r.compactedBy === context[0]!.id)).toHaveLength(10);
    const usage = fx.store.db.select().from(usageEvents).where(eq(usageEvents.sessionId, s.id)).all();
    expect(usage).toMatchObject([{ purpose: "compaction", runId: lastRun, promptTokens: 900, completionTokens: 9, costUsd: 0.001, model: "main" }]);
    const tokens = toChatMessages(context).reduce((n, m) => n + JSON.stringify(m).length / 4, 0);
    expect(tokens).toBeLessThan(0.8 * 1536);
  });

  it("folds the previous summary into the next one", async () => {
    const s = fx.store.createSession();
    for (let i = 1; i <= 6; i++) addTurn(s.id, i);
    let n = 0;
    llm.onRequest((req) => (isSummaryRequest(req.body) ? { text: `summary ${++n}` } : undefined));
    const model = await fx.pool.resolve("main");
    await compactor()(s.id, model, new AbortController().signal);
    for (let i = 7; i <= 12; i++) addTurn(s.id, i);
    expect(await compactor()(s.id, model, new AbortController().signal)).toBe(true);
    expect(llm.requests[1]!.body.messages[1].content).toMatch(/^Summary of what came before:\nsummary 1\n/);
    const context = conversationRows(fx.store.contextMessages(s.id), lastRun);
    expect(context.map((r) => r.content.slice(0, 11))).toEqual(["summary 2", "question 12", "answer 12 a"]);
  });

  it("a failing summary call changes nothing and does not throw", async () => {
    const s = fx.store.createSession();
    for (let i = 1; i <= 6; i++) addTurn(s.id, i);
    llm.onRequest(() => ({ status: 500 }));
    expect(await compactor()(s.id, await fx.pool.resolve("main"), new AbortController().signal)).toBe(false);
    expect(fx.store.contextMessages(s.id)).toHaveLength(12);
  });

  it("an abort rejects with code aborted", async () => {
    const s = fx.store.createSession();
    for (let i = 1; i <= 6; i++) addTurn(s.id, i);
    llm.onRequest(() => ({ stallAfterChunks: 0 }));
    const ac = new AbortController();
    const p = compactor()(s.id, await fx.pool.resolve("main"), ac.signal);
    setTimeout(() => ac.abort(), 50);
    await expect(p).rejects.toMatchObject({ code: "aborted" });
    expect(fx.store.contextMessages(s.id)).toHaveLength(12);
  });
});
