import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { ChannelAddress, ToolCall } from "../../protocol/chat.js";
import type { MessageRow } from "../store/store.js";

/** The prompt files of an agent folder, read on every turn so edits take effect on the next one (issue 3). */
export const PROMPT_FILES = ["SOUL.md", "USER.md", "MEMORY.md"] as const;

/** Rough token estimate of a text (≈ 4 characters per token for English; errs on the large side for code). */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Token estimate of one chat message, including ~4 tokens of per-message overhead. */
export function messageTokens(m: ChatCompletionMessageParam): number {
  let n = 4;
  if (typeof m.content === "string") n += estimateTokens(m.content);
  if (m.role === "assistant" && m.tool_calls) {
    for (const c of m.tool_calls) if (c.type === "function") n += estimateTokens(c.function.name + c.function.arguments) + 4;
  }
  return n;
}

/** `[via telegram, chat 42, user @ann]`: where a channel message came from, for the system prompt. */
export function describeSource(ch: ChannelAddress): string {
  const user = ch.userName ? `@${ch.userName.replace(/^@/, "")}` : ch.userId;
  const thread = ch.threadId ? `, thread ${ch.threadId}` : "";
  return `[via ${ch.platform}, ${ch.isGroup ? "group " : ""}chat ${ch.chatId}${thread}, user ${user}]`;
}

/** Formats "now" in the agent's IANA time zone, e.g. `Saturday, 21 November 2026, 14:05 (Europe/Berlin)`. */
export function formatNow(timeZone: string, now = new Date()): string {
  const f = new Intl.DateTimeFormat("en-GB", { timeZone, weekday: "long", day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit", hour12: false });
  return `${f.format(now)} (${timeZone})`;
}

async function readOptional(file: string): Promise<string> {
  try {
    return (await readFile(file, "utf8")).trim();
  } catch {
    return "";
  }
}

/**
 * Builds the system prompt: SOUL.md, then USER.md and MEMORY.md under short headings (skipped when empty),
 * then the current date and time in the agent's time zone and, for channel messages, the source line.
 */
export async function buildSystemPrompt(dir: string, opts: { timeZone: string; channel?: ChannelAddress | undefined; now?: Date }): Promise<string> {
  const [soul, user, memory] = await Promise.all(PROMPT_FILES.map((f) => readOptional(join(dir, f))));
  const parts: string[] = [];
  if (soul) parts.push(soul);
  if (user) parts.push(`## About the user\n${user}`);
  if (memory) parts.push(`## Memory\n${memory}`);
  parts.push(`Now: ${formatNow(opts.timeZone, opts.now)}`);
  if (opts.channel) parts.push(`This message came ${describeSource(opts.channel)}`);
  return parts.join("\n\n");
}

/**
 * Turns stored rows (oldest first) into chat messages. Errored assistant messages without text are left out;
 * aborted ones keep their partial text; a summary row becomes a system message; an assistant tool-call message
 * whose results are missing (the daemon died) gets placeholder results so the request stays valid.
 */
export function toChatMessages(rows: MessageRow[]): ChatCompletionMessageParam[] {
  const out: ChatCompletionMessageParam[] = [];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (r.role === "user") out.push({ role: "user", content: r.content });
    else if (r.role === "summary") out.push({ role: "system", content: `Summary of the earlier conversation:\n${r.content}` });
    else if (r.role === "tool") continue; // emitted right after their assistant message below
    else if (r.toolCalls) {
      const calls = JSON.parse(r.toolCalls) as ToolCall[];
      out.push({
        role: "assistant",
        content: r.content || null,
        tool_calls: calls.map((c) => ({ id: c.id, type: "function" as const, function: { name: c.name, arguments: c.arguments } })),
      });
      const results = new Map<string, string>();
      for (let j = i + 1; j < rows.length && rows[j]!.role === "tool"; j++) results.set(rows[j]!.toolCallId ?? "", rows[j]!.content);
      for (const c of calls) out.push({ role: "tool", tool_call_id: c.id, content: results.get(c.id) ?? "(no result: the run was interrupted)" });
    } else if (r.content) {
      out.push({ role: "assistant", content: r.content });
    }
  }
  return out;
}

/**
 * Keeps the newest messages that fit `budgetTokens`, dropping whole turns from the front (a turn starts at a
 * user message, so tool calls and their results never get separated). The last turn is always kept.
 */
export function trimToBudget(history: ChatCompletionMessageParam[], budgetTokens: number): ChatCompletionMessageParam[] {
  let total = history.reduce((n, m) => n + messageTokens(m), 0);
  let start = 0;
  while (total > budgetTokens) {
    let next = start + 1;
    while (next < history.length && history[next]!.role !== "user") next++;
    if (next >= history.length) break;
    for (let k = start; k < next; k++) total -= messageTokens(history[k]!);
    start = next;
  }
  // never start with an orphaned summary-less tool result or assistant message: start at a user or system message
  return history.slice(start);
}
