import { describe, it, expect, afterEach } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { MessageRow } from "../store/store.js";
import {
  buildSystemPrompt, memoryTail, contextBudgetTokens, conversationRows, describeSource, formatNow, outputReserveTokens, shortenOldToolResults, toChatMessages, trimToBudget,
} from "./context.js";

let n = 0;
function row(p: Partial<MessageRow> & Pick<MessageRow, "role">): MessageRow {
  n++;
  return {
    id: `m_${String(n).padStart(4, "0")}`, sessionId: "s", runId: null, content: "", toolCalls: null, toolCallId: null, status: "ok",
    error: null, model: null, channel: null, attachments: null, compactedBy: null, createdAt: n, ...p,
  };
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("system prompt", () => {
  it("joins SOUL, USER and MEMORY (HTML comments dropped, empty files skipped), the time in the agent's zone and the source", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agentd-ctx-"));
    dirs.push(dir);
    writeFileSync(join(dir, "SOUL.md"), "You are Bob.\n");
    writeFileSync(join(dir, "USER.md"), "<!-- who the agent serves -->\n");
    writeFileSync(join(dir, "MEMORY.md"), "<!-- memory -->\n- [2026-01-01 10:00 UTC] Ann likes tea\n");
    const prompt = await buildSystemPrompt(dir, {
      timeZone: "Europe/Berlin", now: new Date("2026-11-21T13:05:00Z"),
      channel: { platform: "telegram", chatId: "42", userId: "7", userName: "ann", isGroup: false, mentioned: false },
    });
    const parts = prompt.split("\n\n");
    expect(parts.slice(0, 2)).toEqual(["You are Bob.", "## Memory\n- [2026-01-01 10:00 UTC] Ann likes tea"]);
    expect(parts[2]).toMatch(/^Now: Saturday, 21 November 2026\D+14:05 \(Europe\/Berlin\)$/);
    expect(parts[3]).toBe("This message came [via telegram, chat 42, user @ann]");
    expect(parts).toHaveLength(4);
    expect(prompt).not.toContain("<!--");
  });

  it("reuses the prompt of an unchanged folder, yet shows an edit, another source and a newly redacted key at once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agentd-ctx-"));
    dirs.push(dir);
    writeFileSync(join(dir, "SOUL.md"), "You are Bob.\n");
    writeFileSync(join(dir, "MEMORY.md"), "- the key is sk-live-1234567890\n");
    const secrets: string[] = [];
    const redact = (text: string) => secrets.reduce((t, s) => t.split(s).join("[redacted]"), text);
    const now = new Date("2026-11-21T13:05:00Z");
    const first = await buildSystemPrompt(dir, { timeZone: "UTC", now, redact });
    expect(first).toContain("sk-live-1234567890");
    // the files and the minute unchanged: the same text, but the redactor is asked again (its secrets are live)
    secrets.push("sk-live-1234567890");
    const second = await buildSystemPrompt(dir, { timeZone: "UTC", now, redact });
    expect(second).toBe(first.replace("sk-live-1234567890", "[redacted]"));
    // another chat's message gets its own source line
    const channel = { platform: "telegram", chatId: "42", userId: "7", isGroup: false, mentioned: false };
    expect(await buildSystemPrompt(dir, { timeZone: "UTC", now, redact, channel })).toMatch(/This message came \[via telegram, chat 42, user 7\]$/);
    // an edit (another size) shows on the next call
    writeFileSync(join(dir, "SOUL.md"), "You are Robert.\n");
    expect((await buildSystemPrompt(dir, { timeZone: "UTC", now, redact })).split("\n\n")[0]).toBe("You are Robert.");
  });

  it("says the time in each zone, and moves on with every minute (the text is formatted once per minute)", () => {
    const at = (iso: string, zone: string) => formatNow(zone, new Date(iso));
    expect(at("2026-11-21T13:05:00Z", "Europe/Berlin")).toMatch(/14:05 \(Europe\/Berlin\)$/);
    expect(at("2026-11-21T13:05:59Z", "Europe/Berlin")).toMatch(/14:05 \(Europe\/Berlin\)$/);
    expect(at("2026-11-21T13:05:30Z", "Asia/Kathmandu")).toMatch(/18:50 \(Asia\/Kathmandu\)$/);
    expect(at("2026-11-21T13:06:00Z", "Europe/Berlin")).toMatch(/14:06 \(Europe\/Berlin\)$/);
    // back in time too (a test clock, a corrected system clock)
    expect(at("2026-11-20T23:00:00Z", "Europe/Berlin")).toMatch(/^Saturday, 21 November 2026\D+00:00 /);
  });

  it("puts only the newest lines of a long MEMORY.md into the prompt, saying how much was left out", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agentd-ctx-"));
    dirs.push(dir);
    const lines = Array.from({ length: 400 }, (_, i) => `- [2026-01-01 10:00 UTC] fact number ${i}`);
    writeFileSync(join(dir, "MEMORY.md"), `${lines.join("\n")}\n`);
    const prompt = await buildSystemPrompt(dir, { timeZone: "UTC", memoryMaxChars: 1000 });
    const memory = prompt.split("\n\n")[0]!;
    const shown = memory.split("\n").slice(2); // after the heading and the note
    expect(memory).toMatch(/^## Memory\n\[[\d,]+ earlier characters of MEMORY\.md are left out here; memory_read returns all of it\]\n/);
    expect(shown.at(-1)).toBe(lines.at(-1));
    expect(shown[0]).toBe(lines[lines.length - shown.length]); // whole lines, none cut in the middle
    expect(shown.join("\n").length).toBeLessThanOrEqual(1000);
    expect(shown.length).toBeGreaterThan(15);
    const left = Number(/\[([\d,]+) earlier/.exec(memory)![1]!.replace(/,/g, ""));
    expect(left + shown.join("\n").length).toBe(lines.join("\n").length);
    // a memory that fits is left whole
    expect(memoryTail("a\nb", 10)).toBe("a\nb");
  });

  it("describes group chats, threads and users without a name", () => {
    expect(describeSource({ platform: "discord", chatId: "c1", userId: "u9", threadId: "t2", isGroup: true, mentioned: true })).toBe("[via discord, group chat c1, thread t2, user u9]");
  });
});

describe("conversation order", () => {
  it("orders turns by their user message and leaves out messages still queued behind the run", () => {
    const u1 = row({ role: "user", runId: "r1", content: "first" });
    const u2 = row({ role: "user", runId: "r2", content: "second (queued while r1 ran)" });
    const a1 = row({ role: "assistant", runId: "r1", content: "answer 1" });
    const forR1 = conversationRows([u1, u2, a1], "r1");
    expect(forR1.map((r) => r.content)).toEqual(["first", "answer 1"]);
    const a2 = row({ role: "assistant", runId: "r2", content: "answer 2" });
    expect(conversationRows([u1, u2, a1, a2], "r2").map((r) => r.content)).toEqual(["first", "answer 1", "second (queued while r1 ran)", "answer 2"]);
  });

  it("puts the newest summary first", () => {
    const u1 = row({ role: "user", runId: "r5", content: "kept" });
    const s = row({ role: "summary", runId: "r5", content: "earlier things" });
    const rows = conversationRows([u1, s], "r5");
    expect(rows.map((r) => r.role)).toEqual(["summary", "user"]);
    expect(toChatMessages(rows)[0]).toEqual({ role: "system", content: "Summary of the earlier conversation:\nearlier things" });
  });

  it("pairs tool calls with their results and fills in results that never came", () => {
    const calls = [{ id: "c1", name: "t", arguments: "{}" }, { id: "c2", name: "t", arguments: "{}" }];
    const rows = [
      row({ role: "user", runId: "r", content: "go" }),
      row({ role: "assistant", runId: "r", toolCalls: calls }),
      row({ role: "tool", runId: "r", toolCallId: "c1", content: "one" }),
    ];
    expect(toChatMessages(rows).slice(1)).toEqual([
      { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "t", arguments: "{}" } }, { id: "c2", type: "function", function: { name: "t", arguments: "{}" } }] },
      { role: "tool", tool_call_id: "c1", content: "one" },
      { role: "tool", tool_call_id: "c2", content: "(no result: the run was interrupted)" },
    ]);
  });
});

describe("context budget", () => {
  const turn = (i: number, toolText = ""): ChatCompletionMessageParam[] => [
    { role: "user", content: `question ${i}` },
    ...(toolText
      ? [
        { role: "assistant", content: null, tool_calls: [{ id: `c${i}`, type: "function", function: { name: "t", arguments: "{}" } }] } as ChatCompletionMessageParam,
        { role: "tool", tool_call_id: `c${i}`, content: toolText } as ChatCompletionMessageParam,
      ]
      : []),
    { role: "assistant", content: `answer ${i}` },
  ];

  it("shortens tool results older than the last few turns, with a marker, and keeps recent ones whole", () => {
    const long = "x".repeat(5000);
    const history = [...turn(1, long), ...turn(2, long), ...turn(3, long)];
    const out = shortenOldToolResults(history, 2, 300);
    const tools = out.filter((m) => m.role === "tool").map((m) => m.content as string);
    expect(tools[0]).toBe(`${"x".repeat(300)}\n[… 4,700 more characters left out of the context]`);
    expect(tools[1]).toBe(long);
    expect(tools[2]).toBe(long);
    expect(history[2]!.content).toBe(long); // input untouched
  });

  it("drops whole turns from the front, keeps the summary while it can, always keeps the last turn", () => {
    const summary: ChatCompletionMessageParam = { role: "system", content: "Summary of the earlier conversation:\nstuff" };
    const history = [summary, ...turn(1, "y".repeat(400)), ...turn(2), ...turn(3)];
    const trimmed = trimToBudget(history, 40);
    expect(trimmed[0]).toBe(summary);
    expect(trimmed.slice(1).map((m) => m.content)).toEqual(["question 3", "answer 3"]);
    expect(trimToBudget(history, 5).map((m) => m.content)).toEqual(["question 3", "answer 3"]);
    expect(trimToBudget(history, 10_000)).toEqual(history);
  });

  it("reserves room for the answer: maxOutputTokens, else min(4096, a quarter of the window)", () => {
    expect(outputReserveTokens({ provider: "p", model: "m", contextTokens: 128_000 })).toBe(4096);
    expect(outputReserveTokens({ provider: "p", model: "m", contextTokens: 4000 })).toBe(1000);
    expect(outputReserveTokens({ provider: "p", model: "m", contextTokens: 128_000, maxOutputTokens: 500 })).toBe(500);
    expect(contextBudgetTokens({ provider: "p", model: "m", contextTokens: 8192 })).toBe(6144);
  });
});
