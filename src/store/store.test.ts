import { describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Store } from "./store.js";
import { newId } from "./ids.js";

const fresh = () => new Store(join(mkdtempSync(join(tmpdir(), "store-")), "agentd.db"));

describe("Store", () => {
  it("stores a user message and its run in one step, with a unique idempotency key", () => {
    const s = fresh();
    const session = s.createSession();
    const { run, message } = s.acceptMessage({ sessionId: session.id, content: "hi", idempotencyKey: "k1" });
    expect(s.findRunByKey("k1")?.id).toBe(run.id);
    expect(s.getMessage(message.id)?.content).toBe("hi");
    expect(() => s.acceptMessage({ sessionId: session.id, content: "again", idempotencyKey: "k1" })).toThrow(/could not store the message/);
    // the failed second accept left nothing behind
    expect(s.history(session.id, 10).map((m) => m.content)).toEqual(["hi"]);
    expect(s.getSession(session.id)?.messageCount).toBe(1);
    s.close();
  });

  it("marks runs left queued or running by a dead daemon as interrupted, and hands back those with delivery targets", () => {
    const s = fresh();
    const session = s.createSession();
    const a = s.acceptMessage({ sessionId: session.id, content: "a", idempotencyKey: "a" }).run;
    const b = s.acceptMessage({ sessionId: session.id, content: "b", idempotencyKey: "b" }).run;
    const target = [{ platform: "telegram", chatId: "1" }];
    const c = s.acceptMessage({ sessionId: session.id, content: "c", idempotencyKey: "c", deliverTo: target }).run;
    s.updateRun(a.id, { status: "running" });
    s.updateRun(b.id, { status: "ok" });
    s.updateRun(c.id, { status: "running" });
    const claimed = s.claimInterruptedRuns();
    expect(claimed.interrupted).toBe(1);
    expect(claimed.resumable.map((r) => r.id)).toEqual([c.id]);
    expect(s.getRun(a.id)?.status).toBe("interrupted");
    expect(s.getRun(b.id)?.status).toBe("ok");
    expect(s.getRun(c.id)?.status).toBe("queued");
    // run again and interrupted again, up to the limit: then given up with an error
    s.updateRun(c.id, { status: "running" });
    expect(s.claimInterruptedRuns(2).resumable.map((r) => r.resumes)).toEqual([2]);
    s.updateRun(c.id, { status: "running" });
    const last = s.claimInterruptedRuns(2);
    expect([last.resumable, last.givenUp.map((r) => r.id)]).toEqual([[], [c.id]]);
    expect(s.getRun(c.id)).toMatchObject({ status: "error", errorCode: "internal" });
    s.close();
  });

  it("finds the open runs at start through the partial index, without reading every run", () => {
    const s = fresh();
    const prepared: string[] = [];
    const prepare = s.sqlite.prepare.bind(s.sqlite);
    s.sqlite.prepare = ((sql: string) => (prepared.push(sql), prepare(sql))) as typeof s.sqlite.prepare;
    s.claimInterruptedRuns();
    const runQueries = prepared.filter((q) => /from "runs"|update "runs"/i.test(q));
    expect(runQueries).toHaveLength(2); // the open runs with delivery targets, and the interrupted ones
    for (const q of runQueries) {
      const unbound = Array<null>(q.split("?").length - 1).fill(null);
      const plan = (prepare(`EXPLAIN QUERY PLAN ${q}`).all(...unbound) as Array<{ detail: string }>).map((r) => r.detail).join("; ");
      expect(plan).toContain("runs_open_idx");
      expect(plan).not.toMatch(/SCAN runs(?! USING)/);
    }
    s.close();
  });

  it("pages history oldest first and hides compacted messages from the context", () => {
    const s = fresh();
    const session = s.createSession();
    const ids = ["1", "2", "3", "4"].map((c) => s.insertMessage({ sessionId: session.id, role: "user", content: c, status: "ok" }).id);
    expect(s.history(session.id, 2).map((m) => m.content)).toEqual(["3", "4"]);
    expect(s.history(session.id, 2, ids[2]).map((m) => m.content)).toEqual(["1", "2"]);
    const summary = s.insertMessage({ sessionId: session.id, role: "summary", content: "1 and 2", status: "ok" });
    s.markCompacted(ids.slice(0, 2), summary.id);
    expect(s.contextMessages(session.id).map((m) => m.content)).toEqual(["3", "4", "1 and 2"]);
    expect(s.history(session.id, 10)).toHaveLength(5);
    s.close();
  });

  it("binds a chat to a session and rebinds it", () => {
    const s = fresh();
    const a = s.createSession();
    const b = s.createSession();
    s.setBinding("telegram", "42", "", a.id);
    expect(s.getBinding("telegram", "42")?.sessionId).toBe(a.id);
    s.setBinding("telegram", "42", "", b.id, "fast");
    expect(s.getBinding("telegram", "42")).toMatchObject({ sessionId: b.id, model: "fast" });
    expect(s.getBinding("telegram", "42", "7")).toBeUndefined();
    s.close();
  });
});

describe("newId", () => {
  it("sorts by creation, also within one millisecond", () => {
    const ids = Array.from({ length: 500 }, () => newId("m"));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(500);
  });

  it("stays unique and well-formed across refills of its random pool (1,024 ids per refill)", () => {
    const ids = Array.from({ length: 3000 }, () => newId("r"));
    expect(new Set(ids).size).toBe(3000);
    for (const id of ids) expect(id).toMatch(/^r_[0-9a-z]{13}[A-Za-z0-9_-]{6}$/);
    // the random parts differ too, not only the counter
    expect(new Set(ids.map((id) => id.slice(-6))).size).toBeGreaterThan(2990);
  });

  it("transaction: every write inside commits together, or none when the function throws", () => {
    const s = fresh();
    const session = s.createSession();
    expect(() => s.transaction(() => {
      s.insertMessage({ sessionId: session.id, role: "assistant", content: "half", status: "ok" });
      s.setTitle(session.id, "changed");
      throw new Error("boom");
    })).toThrow("boom");
    expect(s.history(session.id, 10)).toEqual([]);
    expect(s.getSession(session.id)?.title).toBeNull();
    const id = s.transaction(() => s.insertMessage({ sessionId: session.id, role: "assistant", content: "whole", status: "ok" }).id);
    expect(s.getMessage(id)?.content).toBe("whole");
    s.close();
  });

  it("lists a chat's sessions (those it wrote in, and its current one) and labels them by their first non-command text", () => {
    const s = fresh();
    const a = s.createSession();
    const b = s.createSession();
    const other = s.createSession();
    const chat = { platform: "telegram", chatId: "7", userId: "9", isGroup: false, mentioned: false };
    s.acceptMessage({ sessionId: a.id, content: "/new", idempotencyKey: "1", channel: chat });
    s.acceptMessage({ sessionId: a.id, content: "plan the trip", idempotencyKey: "2", channel: chat });
    s.acceptMessage({ sessionId: other.id, content: "elsewhere", idempotencyKey: "3", channel: { ...chat, chatId: "8" } });
    expect(s.chatSessions({ platform: "telegram", chatId: "7", threadId: "" }, b.id).map((r) => r.id)).toEqual([a.id, b.id]);
    expect(s.firstUserText(a.id)).toBe("plan the trip");
    expect(s.firstUserText(b.id)).toBeUndefined();
    s.close();
  });
});
