import { describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { ContextCache } from "./context-cache.js";
import { Store, type MessageRow } from "./store.js";

const row = (sessionId: string, id: string, content: string): MessageRow => ({
  id, sessionId, runId: null, role: "user", content, toolCalls: null, toolCallId: null, status: "ok", error: null, model: null,
  channel: null, attachments: null, compactedBy: null, createdAt: 1,
});

describe("ContextCache", () => {
  it("keeps rows in id order, hands out a new array of frozen rows, and appends only to sessions it holds", () => {
    const c = new ContextCache();
    c.set("s1", [row("s1", "m_2", "b")]);
    c.append(row("s1", "m_3", "c"));
    c.append(row("s1", "m_1", "a")); // an id that sorts earlier (a clock set back) goes where a read would put it
    c.append(row("s2", "m_4", "x")); // not held: ignored
    const got = c.get("s1")!;
    expect(got.map((r) => r.content)).toEqual(["a", "b", "c"]);
    got.pop();
    expect(c.get("s1")).toHaveLength(3);
    expect(() => ((got[0] as { content: string }).content = "changed")).toThrow(TypeError);
    expect(c.get("s2")).toBeUndefined();
  });

  it("removes compacted rows from every session and forgets dropped sessions", () => {
    const c = new ContextCache();
    c.set("s1", [row("s1", "m_1", "a"), row("s1", "m_2", "b")]);
    c.set("s2", [row("s2", "m_3", "c")]);
    c.remove(new Set(["m_1", "m_3"]));
    expect(c.get("s1")!.map((r) => r.id)).toEqual(["m_2"]);
    expect(c.get("s2")).toEqual([]);
    c.drop("s1");
    expect(c.get("s1")).toBeUndefined();
  });

  it("evicts the least recently used sessions past its session and character limits", () => {
    const c = new ContextCache(2, 10);
    c.set("a", [row("a", "m_1", "1234")]);
    c.set("b", [row("b", "m_2", "1234")]);
    c.get("a"); // a is now the most recently used
    c.set("c", [row("c", "m_3", "12")]);
    expect([c.has("a"), c.has("b"), c.has("c")]).toEqual([true, false, true]);
    c.append(row("c", "m_4", "12345")); // 4 + 7 characters > 10: the least recently used (a) goes
    expect([c.has("a"), c.has("c")]).toEqual([false, true]);
    c.set("big", [row("big", "m_5", "12345678901")]); // larger than the whole budget alone: not kept
    expect(c.has("big")).toBe(false);
  });
});

describe("Store.contextMessages with its cache", () => {
  const open = () => {
    const file = join(mkdtempSync(join(tmpdir(), "ctx-cache-")), "agentd.db");
    const store = new Store(file);
    // the truth: a second connection that reads committed rows straight from the file
    const other = new Database(file, { readonly: true });
    const truth = (sessionId: string) => other.prepare("SELECT id, content FROM messages WHERE session_id = ? AND compacted_by IS NULL ORDER BY id").all(sessionId);
    const seen = (sessionId: string) => store.contextMessages(sessionId).map((m) => ({ id: m.id, content: m.content }));
    return { store, file, truth, seen, close: () => (other.close(), store.close()) };
  };

  it("answers from memory exactly what the database holds through accepts, replies, tool calls, compaction and deletion", () => {
    const { store, truth, seen, close } = open();
    const s = store.createSession();
    expect(seen(s.id)).toEqual([]);
    const { run } = store.transaction(() => store.acceptMessage({ sessionId: s.id, content: "hello", idempotencyKey: "k1", channel: { platform: "telegram", chatId: "1", userId: "2", isGroup: false, mentioned: false } }));
    store.insertMessage({ sessionId: s.id, role: "assistant", content: "", status: "ok", toolCalls: [{ id: "c1", name: "vault_search", arguments: "{}" }] });
    store.insertMessage({ sessionId: s.id, role: "tool", content: "result", toolCallId: "c1", status: "ok" });
    const reply = store.insertMessage({ sessionId: s.id, role: "assistant", content: "hi there", status: "ok", error: undefined });
    expect(seen(s.id)).toEqual(truth(s.id));
    const rows = store.contextMessages(s.id);
    expect(rows[0]!.channel).toMatchObject({ platform: "telegram", chatId: "1", userId: "2" });
    expect(rows[1]!.toolCalls).toEqual([{ id: "c1", name: "vault_search", arguments: "{}" }]);
    expect(rows[3]!.id).toBe(reply.id);
    // every row kept as written (JSON values included) equals the row read back from the database
    expect(rows).toEqual(rows.map((r) => store.getMessage(r.id)));
    const summary = store.insertMessage({ sessionId: s.id, role: "summary", content: "they said hello", status: "ok" });
    store.markCompacted(rows.slice(0, 3).map((r) => r.id), summary.id);
    expect(seen(s.id).map((r) => r.content)).toEqual(["hi there", "they said hello"]);
    expect(seen(s.id)).toEqual(truth(s.id));
    store.updateRun(run.id, { status: "ok", finishedAt: Date.now() });
    store.deleteSession(s.id);
    expect(() => store.requireSession(s.id)).toThrow();
    expect(seen(s.id)).toEqual([]);
    close();
  });

  it("forgets what a rolled-back transaction appended", () => {
    const { store, truth, seen, close } = open();
    const s = store.createSession();
    store.insertMessage({ sessionId: s.id, role: "user", content: "kept", status: "ok" });
    expect(seen(s.id)).toHaveLength(1);
    expect(() => store.transaction(() => {
      store.insertMessage({ sessionId: s.id, role: "assistant", content: "rolled back", status: "ok" });
      throw new Error("refused");
    })).toThrow("refused");
    // a failed accept outside a transaction (a duplicate idempotency key) rolls back its message too
    store.acceptMessage({ sessionId: s.id, content: "first", idempotencyKey: "dup" });
    expect(() => store.acceptMessage({ sessionId: s.id, content: "second", idempotencyKey: "dup" })).toThrow();
    expect(seen(s.id).map((r) => r.content)).toEqual(["kept", "first"]);
    expect(seen(s.id)).toEqual(truth(s.id));
    close();
  });

  it("reads again after another connection wrote to the database", () => {
    const { store, file, truth, seen, close } = open();
    const s = store.createSession();
    store.insertMessage({ sessionId: s.id, role: "user", content: "one", status: "ok" });
    expect(seen(s.id)).toHaveLength(1);
    const writer = new Database(file);
    writer.prepare("UPDATE messages SET content = 'edited elsewhere' WHERE session_id = ?").run(s.id);
    writer.close();
    expect(seen(s.id).map((r) => r.content)).toEqual(["edited elsewhere"]);
    expect(seen(s.id)).toEqual(truth(s.id));
    close();
  });
});
