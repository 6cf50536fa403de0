import { describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Store } from "./store.js";
import { StorageError } from "../errors.js";

const fresh = () => new Store(join(mkdtempSync(join(tmpdir(), "store-json-")), "agentd.db"));

describe("typed JSON columns", () => {
  it("store the same TEXT as before: JSON when set, SQL NULL (not 'null') when not", () => {
    const s = fresh();
    const session = s.createSession();
    const channel = { platform: "telegram", chatId: "7", userId: "9", isGroup: false, mentioned: false };
    const { run, message } = s.acceptMessage({ sessionId: session.id, content: "hi", idempotencyKey: "k", channel, deliverTo: [{ platform: "telegram", chatId: "7" }] });
    const plain = s.acceptMessage({ sessionId: session.id, content: "api", idempotencyKey: "k2" });
    const raw = (sql: string, id: string) => s.sqlite.prepare(sql).get(id) as Record<string, unknown>;
    expect(raw(`SELECT channel, tool_calls, attachments FROM messages WHERE id = ?`, message.id)).toEqual({ channel: JSON.stringify(channel), tool_calls: null, attachments: null });
    expect(raw(`SELECT deliver_to FROM runs WHERE id = ?`, run.id)).toEqual({ deliver_to: '[{"platform":"telegram","chatId":"7"}]' });
    expect(raw(`SELECT deliver_to FROM runs WHERE id = ?`, plain.run.id)).toEqual({ deliver_to: null });
    // and read back typed
    expect(s.getRun(run.id)?.deliverTo).toEqual([{ platform: "telegram", chatId: "7" }]);
    expect(s.getMessage(message.id)?.channel).toEqual(channel);
    s.close();
  });

  it("a hand-edited row: unreadable tool calls fail with a StorageError naming the column; files and origin fall back", () => {
    const s = fresh();
    const session = s.createSession();
    const m = s.insertMessage({ sessionId: session.id, role: "assistant", content: "", status: "ok", toolCalls: [{ id: "c1", name: "t", arguments: "{}" }] });
    const u = s.acceptMessage({ sessionId: session.id, content: "hi", idempotencyKey: "k" }).message;
    s.sqlite.prepare(`UPDATE messages SET attachments = '[{"path":1}]', channel = 'not json' WHERE id = ?`).run(u.id);
    expect(s.getMessage(u.id)).toMatchObject({ attachments: [], channel: null });
    s.sqlite.prepare(`UPDATE messages SET tool_calls = '[{"id":"c1"}]' WHERE id = ?`).run(m.id);
    expect(() => s.contextMessages(session.id)).toThrow(StorageError);
    expect(() => s.getMessage(m.id)).toThrow(/"tool_calls"/);
    s.close();
  });
});
