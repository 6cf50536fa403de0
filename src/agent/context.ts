import { statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { ChannelAddress } from "../../protocol/chat.js";
import type { ModelConfig } from "../config/schema.js";
import { rowAttachments, type MessageRow } from "../store/store.js";
import { imagePartTokens, mentionFiles, type MediaContent } from "../media/render.js";

/** The prompt files of an agent folder, read on every turn so edits take effect on the next one (issue 3). */
export const PROMPT_FILES = ["SOUL.md", "USER.md", "MEMORY.md"] as const;

/** Rough token estimate of a text (≈ 4 characters per token for English; errs on the large side for code). */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * Token estimate of one chat message, including ~4 tokens of per-message overhead. Content parts count their
 * text, and an image part what the provider counts for it (from `prepareMedia`, else 1105: a 768×2048 image).
 */
export function messageTokens(m: ChatCompletionMessageParam): number {
  let n = 4;
  if (typeof m.content === "string") n += estimateTokens(m.content);
  else if (Array.isArray(m.content)) {
    for (const p of m.content) n += p.type === "text" ? estimateTokens(p.text) : (imagePartTokens.get(p) ?? 1105);
  }
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
  let f = nowFormats.get(timeZone);
  if (!f) {
    // building an Intl.DateTimeFormat costs ~40 µs and ~40 KB: one per zone, not one per turn
    f = { format: new Intl.DateTimeFormat("en-GB", { timeZone, weekday: "long", day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit", hour12: false }), minute: Number.NaN, text: "" };
    nowFormats.set(timeZone, f);
  }
  // the text changes once a minute (every zone's offset is whole minutes): formatted once per minute, not per turn
  const minute = Math.floor(now.getTime() / 60_000);
  if (minute !== f.minute) {
    f.minute = minute;
    f.text = `${f.format.format(now)} (${timeZone})`;
  }
  return f.text;
}
const nowFormats = new Map<string, { format: Intl.DateTimeFormat; minute: number; text: string }>();

/** Largest share of the context window kept free for the answer when the model sets no `maxOutputTokens`. */
const MAX_OUTPUT_RESERVE_TOKENS = 4096;

/**
 * Tokens kept free for the model's answer: `maxOutputTokens` when the model config sets it, else
 * min(4096, a quarter of the window), so small windows still leave room for history.
 */
export function outputReserveTokens(model: ModelConfig): number {
  return Math.min(model.maxOutputTokens ?? MAX_OUTPUT_RESERVE_TOKENS, Math.floor(model.contextTokens / 4));
}

/** The model's budget for a whole request (system prompt, tools, history): its window minus {@link outputReserveTokens}. */
export function contextBudgetTokens(model: ModelConfig): number {
  return model.contextTokens - outputReserveTokens(model);
}

/** Prompt file contents by path, reused while the file's mtime and size stay the same. */
const promptCache = new Map<string, { mtimeMs: number; size: number; text: string }>();

/**
 * The file's text when the cache holds it for the file's current mtime and size, "" when the file is missing, or
 * undefined when it must be read. A synchronous stat of a local file takes microseconds; the promise one costs a
 * thread-pool round trip per file and turn (10 % of the daemon's CPU under load, docs/performance.md).
 */
function cachedPrompt(file: string): string | undefined {
  try {
    const st = statSync(file, { throwIfNoEntry: false });
    if (!st) {
      promptCache.delete(file);
      return "";
    }
    const hit = promptCache.get(file);
    return hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size ? hit.text : undefined;
  } catch {
    promptCache.delete(file);
    return "";
  }
}

async function readOptional(file: string): Promise<string> {
  try {
    const st = statSync(file, { throwIfNoEntry: false });
    if (!st) {
      promptCache.delete(file);
      return "";
    }
    // HTML comments are notes for the human editing the file (the template has some): never sent to the model
    const text = (await readFile(file, "utf8")).replace(/<!--[\s\S]*?-->/g, "").trim();
    promptCache.set(file, { mtimeMs: st.mtimeMs, size: st.size, text });
    return text;
  } catch {
    promptCache.delete(file);
    return "";
  }
}

/** The paths of an agent folder's {@link PROMPT_FILES}, joined once per folder. */
const promptPaths = new Map<string, string[]>();

/**
 * The last system prompt built for a folder and what it was built from: a turn whose inputs are the same strings
 * (files unchanged, same minute, same source line) reuses its text instead of cutting the memory and joining the
 * parts again (issue 20: per-turn work before the model request). Unredacted: the redactor runs on every turn.
 */
const lastPrompt = new Map<string, { inputs: unknown[]; prompt: string }>();
/** Default of `agent.memoryMaxChars`: the most of MEMORY.md that goes into the system prompt. */
export const MEMORY_MAX_CHARS = 16_000;

/**
 * The newest part of MEMORY.md that fits in `maxChars`: whole lines from the end (the memory tool appends one line
 * per entry), after one line saying how much was left out and that `memory_read` has it all. Unchanged when it fits.
 */
export function memoryTail(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let start = text.length - maxChars;
  const nl = text.indexOf("\n", start);
  if (nl >= 0 && nl < text.length - 1) start = nl + 1;
  return `[${start.toLocaleString("en-US")} earlier characters of MEMORY.md are left out here; memory_read returns all of it]\n${text.slice(start)}`;
}

/**
 * Builds the system prompt: SOUL.md, then USER.md and MEMORY.md under short headings (skipped when empty;
 * MEMORY.md cut to its newest `memoryMaxChars`, default {@link MEMORY_MAX_CHARS}, by {@link memoryTail}, so a
 * memory that keeps growing cannot crowd the conversation out of the context), then the current date and time
 * in the agent's time zone and, for channel messages, the source line. Files are re-read when their mtime or size
 * changes (edits apply on the next turn); `redact` scrubs known secrets.
 */
export async function buildSystemPrompt(
  dir: string,
  opts: { timeZone: string; channel?: ChannelAddress | undefined; now?: Date; redact?: ((text: string) => string) | undefined; memoryMaxChars?: number },
): Promise<string> {
  let paths = promptPaths.get(dir);
  if (!paths) promptPaths.set(dir, (paths = PROMPT_FILES.map((f) => join(dir, f))));
  // files unchanged since the last turn (the usual case): no promise, no await
  const cached = paths.map(cachedPrompt);
  const [soul, user, full] = cached.every((t) => t !== undefined) ? cached : await Promise.all(paths.map((p, i) => cached[i] ?? readOptional(p)));
  const memoryMaxChars = opts.memoryMaxChars ?? MEMORY_MAX_CHARS;
  const now = formatNow(opts.timeZone, opts.now);
  const source = opts.channel ? describeSource(opts.channel) : undefined;
  // a key pasted into MEMORY.md (or written there by a tool) must not travel to the provider: scrubbed on every
  // turn, the redactor's secrets are read live (a key added to the config applies at once)
  const scrub = (p: string) => (opts.redact ? opts.redact(p) : p);
  const inputs = [soul, user, full, memoryMaxChars, now, source];
  const last = lastPrompt.get(dir);
  if (last && last.inputs.every((v, i) => v === inputs[i])) return scrub(last.prompt);
  const memory = memoryTail(full ?? "", memoryMaxChars);
  const parts: string[] = [];
  if (soul) parts.push(soul);
  if (user) parts.push(`## About the user\n${user}`);
  if (memory) parts.push(`## Memory\n${memory}`);
  parts.push(`Now: ${now}`);
  if (source) parts.push(`This message came ${source}`);
  const prompt = parts.join("\n\n");
  lastPrompt.set(dir, { inputs, prompt });
  return scrub(prompt);
}

/**
 * Puts the stored rows of a session in conversation order for the context of run `runId`: the summary first
 * (it replaces the oldest turns), then turn by turn in the order their user messages were accepted, each turn's
 * rows in creation order. Rows of turns accepted after `runId`'s (messages still queued in the same session)
 * are left out. Needed because a queued message is stored when it arrives, before the replies to earlier ones.
 * Without `runId` every turn is kept.
 */
export function conversationRows(rows: MessageRow[], runId?: string): MessageRow[] {
  const turnOf = new Map<string, string>();
  for (const r of rows) if (r.role === "user" && r.runId) turnOf.set(r.runId, r.id);
  const key = (r: MessageRow) => (r.runId ? turnOf.get(r.runId) : undefined) ?? r.id;
  const current = runId ? turnOf.get(runId) : undefined;
  const summaries = rows.filter((r) => r.role === "summary");
  const rest = rows
    .filter((r) => r.role !== "summary" && (current === undefined || key(r) <= current))
    .map((r) => ({ r, k: key(r) }))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.r.id < b.r.id ? -1 : a.r.id > b.r.id ? 1 : 0))
    .map((x) => x.r);
  return [...summaries.slice(-1), ...rest];
}

/**
 * Turns stored rows (oldest first) into chat messages. Errored assistant messages without text are left out;
 * aborted ones keep their partial text; a summary row becomes a system message; an assistant tool-call message
 * whose results are missing (the daemon died) gets placeholder results so the request stays valid. A user message
 * with files takes its content from `media` (see `prepareMedia`: images and documents of the recent turns) or,
 * when absent there, its text plus one line per file (`mentionFiles`: never bytes).
 */
export function toChatMessages(rows: MessageRow[], media?: Map<string, MediaContent>): ChatCompletionMessageParam[] {
  const out: ChatCompletionMessageParam[] = [];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (r.role === "user") {
      const content = media?.get(r.id) ?? (r.attachments ? mentionFiles(r.content, rowAttachments(r)) : r.content);
      out.push({ role: "user", content: content === "" ? "(empty message)" : content });
    }
    else if (r.role === "summary") out.push({ role: "system", content: `Summary of the earlier conversation:\n${r.content}` });
    else if (r.role === "tool") continue; // emitted right after their assistant message below
    else if (r.toolCalls) {
      const calls = r.toolCalls;
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

/** Longest text an old tool result keeps in the context (characters), see {@link shortenOldToolResults}. */
export const OLD_TOOL_RESULT_MAX_CHARS = 300;

/**
 * Shortens the results of tool calls made before the last `recentTurns` turns (a turn starts at a user
 * message) to `maxChars` characters plus a marker saying how much was left out. The stored rows keep the
 * full text; only the context sent to the model shrinks. Returns a new array; the input is not changed.
 */
export function shortenOldToolResults(history: ChatCompletionMessageParam[], recentTurns: number, maxChars = OLD_TOOL_RESULT_MAX_CHARS): ChatCompletionMessageParam[] {
  let boundary = history.length;
  for (let seen = 0; boundary > 0 && seen < recentTurns; ) {
    boundary--;
    if (history[boundary]!.role === "user") seen++;
  }
  return history.map((m, i) => {
    if (i >= boundary || m.role !== "tool" || typeof m.content !== "string" || m.content.length <= maxChars) return m;
    const cut = m.content.length - maxChars;
    return { ...m, content: `${m.content.slice(0, maxChars)}\n[… ${cut.toLocaleString("en-US")} more characters left out of the context]` };
  });
}

/**
 * Keeps the newest messages that fit `budgetTokens`, dropping whole turns from the front (a turn starts at a
 * user message, so tool calls and their results never get separated). A leading summary (system message) is
 * kept while any older turn can go instead; the last turn is always kept.
 */
export function trimToBudget(history: ChatCompletionMessageParam[], budgetTokens: number): ChatCompletionMessageParam[] {
  let total = history.reduce((n, m) => n + messageTokens(m), 0);
  let pinned = 0;
  while (pinned < history.length && history[pinned]!.role === "system") pinned++;
  let start = pinned;
  while (total > budgetTokens) {
    let next = start + 1;
    while (next < history.length && history[next]!.role !== "user") next++;
    if (next >= history.length) break;
    for (let k = start; k < next; k++) total -= messageTokens(history[k]!);
    start = next;
  }
  if (total > budgetTokens && pinned > 0) return history.slice(start);
  return [...history.slice(0, pinned), ...history.slice(start)];
}
