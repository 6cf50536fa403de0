import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import { rowAttachments, type MessageRow, type Store } from "../store/store.js";
import { fileLine } from "../media/files.js";
import { mentionFiles } from "../media/render.js";
import { AgentdError } from "../errors.js";
import { buildSystemPrompt, contextBudgetTokens, conversationRows, estimateTokens, messageTokens, shortenOldToolResults, toChatMessages } from "./context.js";
import { completeModelCall, type CallUsage } from "./model-call.js";
import type { ProviderPool, ResolvedModel } from "./provider.js";

/** Heading of the list of files of compacted turns that ends a summary (one line per file, kept by later compactions). */
const FILES_HEADING = "\n\nFiles sent in these turns:\n";

/** Instructions of the summarising call. */
export const SUMMARY_INSTRUCTIONS =
  "You compress a conversation so it can go on without its full history. Summarise the transcript: facts about the user, " +
  "decisions, results of tool calls, open tasks and promises, names, numbers, dates. Bullet points, at most 300 words, " +
  "in the conversation's language. Output only the summary.";

/** Room kept for the summary when fitting the transcript into the model's window, in tokens. */
const SUMMARY_RESERVE_TOKENS = 1024;

/** Longest text of one message in the transcript sent for summarising (characters). */
const TRANSCRIPT_MESSAGE_MAX_CHARS = 2000;

/** What compaction needs from the daemon. `runningRunId` names the run of the session in progress (for usage rows). */
export interface CompactionDeps {
  store: Store;
  pool: ProviderPool;
  config: () => Config;
  dir: string;
  logger: Logger;
  price: (model: ResolvedModel, usage: CallUsage) => number | null;
  runningRunId: (sessionId: string) => string | undefined;
}

/** Rows split into turns: `head` (rows before the first user message, e.g. the summary) and one array per turn. */
function splitTurns(rows: MessageRow[]): { head: MessageRow[]; turns: MessageRow[][] } {
  const head: MessageRow[] = [];
  const turns: MessageRow[][] = [];
  for (const r of rows) {
    if (r.role === "user") turns.push([r]);
    else if (turns.length === 0) head.push(r);
    else turns[turns.length - 1]!.push(r);
  }
  return { head, turns };
}

const clip = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max)} […${s.length - max} more characters]`);

/** One line per stored row, for the summarising call: `User: …`, `Assistant: …`, tool calls and their results. */
export function transcriptLines(rows: MessageRow[]): string[] {
  const out: string[] = [];
  for (const r of rows) {
    if (r.role === "summary") out.push(`Summary of what came before:\n${r.content}`);
    else if (r.role === "user") out.push(`User: ${clip(r.attachments ? mentionFiles(r.content, rowAttachments(r), "sent earlier") : r.content, TRANSCRIPT_MESSAGE_MAX_CHARS)}`);
    else if (r.role === "tool") out.push(`Tool result: ${clip(r.content, TRANSCRIPT_MESSAGE_MAX_CHARS / 4)}`);
    else {
      if (r.content) out.push(`Assistant: ${clip(r.content, TRANSCRIPT_MESSAGE_MAX_CHARS)}`);
      if (r.toolCalls) for (const c of r.toolCalls) out.push(`Assistant called ${c.name}(${clip(c.arguments, 300)})`);
    }
  }
  return out;
}

/** Fits transcript lines into `maxChars`: the first line (maybe the old summary) stays, the oldest others go first. */
function fitTranscript(lines: string[], maxChars: number): string {
  let total = lines.reduce((n, l) => n + l.length + 1, 0);
  let dropped = 0;
  while (total > maxChars && lines.length - dropped > 2) {
    total -= lines[1 + dropped]!.length + 1;
    dropped++;
  }
  const kept = dropped > 0 ? [lines[0]!, `[… ${dropped} older messages left out]`, ...lines.slice(1 + dropped)] : lines;
  return kept.join("\n").slice(-maxChars);
}

/**
 * Builds the `compact(sessionId, model, signal)` run hook (issue 3). When the session's context (system prompt
 * plus history as the run loop builds it, see context.ts; tool specs are not counted) passes
 * `agent.compactAtRatio` of the model's budget ({@link contextBudgetTokens}), the turns before the last
 * `agent.recentTurns` (fewer when those alone take more than half the threshold; at least the current turn)
 * are summarised by the model (one non-streamed call with the older turns as a transcript cut to fit the
 * window, usage recorded with purpose `compaction`), the summary is
 * stored as a `summary` message and the originals are marked compacted (they stay in the database).
 * Resolves true when it compacted. Any failure (the summarising call, the store) is logged and resolves false,
 * changing nothing (the run loop still trims the history to the budget); an abort rejects with code `aborted`.
 * `loaded` (optional): what the caller already read, so a turn reads the session once: `rows` = the session's
 * {@link Store.contextMessages}, `system` = the system prompt; when absent they are read here. After a compaction
 * (true) those rows are stale and must be read again.
 */
export function createCompactor(deps: CompactionDeps): (sessionId: string, model: ResolvedModel, signal: AbortSignal, loaded?: LoadedContext) => Promise<boolean> {
  return async (sessionId, model, signal, loaded) => {
    try {
      return await compactSession(deps, sessionId, model, signal, loaded);
    } catch (err) {
      if (signal.aborted) throw new AgentdError("aborted", "the run was aborted");
      deps.logger.warn({ err, sessionId }, "could not compact the session; older turns are only trimmed from the context");
      return false;
    }
  };
}

/** A session's context as the run loop already read it: `Store.contextMessages` rows and the system prompt. */
export interface LoadedContext {
  rows: MessageRow[];
  system: string;
}

async function compactSession(deps: CompactionDeps, sessionId: string, model: ResolvedModel, signal: AbortSignal, loaded?: LoadedContext): Promise<boolean> {
  const cfg = deps.config();
  const runId = deps.runningRunId(sessionId);
  const rows = conversationRows(loaded?.rows ?? deps.store.contextMessages(sessionId), runId);
  const system = loaded?.system ?? (await buildSystemPrompt(deps.dir, { timeZone: cfg.agent.timezone, memoryMaxChars: cfg.agent.memoryMaxChars }));
  const history = shortenOldToolResults(toChatMessages(rows), cfg.agent.recentTurns);
  const threshold = cfg.agent.compactAtRatio * contextBudgetTokens(model.config);
  const total = estimateTokens(system) + history.reduce((n, m) => n + messageTokens(m), 0);
  if (total <= threshold) return false;

  const { head, turns } = splitTurns(rows);
  const turnTokens = (t: MessageRow[]) => toChatMessages(t).reduce((n, m) => n + messageTokens(m), 0);
  let keep = 1;
  let kept = turnTokens(turns[turns.length - 1] ?? []);
  while (keep < Math.min(cfg.agent.recentTurns, turns.length)) {
    const next = turnTokens(turns[turns.length - 1 - keep]!);
    if (kept + next > threshold / 2) break;
    kept += next;
    keep++;
  }
  const older = [...head, ...turns.slice(0, Math.max(0, turns.length - keep)).flat()];
  if (!older.some((r) => r.role === "user")) return false;

  const maxChars = Math.max(2000, (model.config.contextTokens - Math.min(SUMMARY_RESERVE_TOKENS, model.config.contextTokens / 4) - 300) * 3);
  const transcript = fitTranscript(transcriptLines(older), maxChars);
  const res = await completeModelCall({
    pool: deps.pool, candidates: deps.pool.candidates(model.name), signal,
    messages: [{ role: "system", content: SUMMARY_INSTRUCTIONS }, { role: "user", content: transcript }],
  });
  if (res.usage) {
    deps.store.recordUsage({
      sessionId, runId: runId ?? "", model: res.model.name, provider: res.model.providerName, purpose: "compaction",
      ...res.usage, costUsd: deps.price(res.model, res.usage),
    });
  }
  const summarised = res.text.trim();
  if (!summarised) return false;
  // the files of compacted turns stay known by name (one line each), whatever the summary kept (issue 12)
  const files = [
    ...older.filter((r) => r.role === "summary").flatMap((r) => r.content.split(FILES_HEADING)[1]?.split("\n").filter(Boolean) ?? []),
    ...older.filter((r) => r.role === "user").flatMap((r) => rowAttachments(r)).map((a) => fileLine(a, "sent earlier")),
  ];
  const text = files.length ? `${summarised}${FILES_HEADING}${files.join("\n")}` : summarised;
  deps.store.transaction(() => {
    const summary = deps.store.insertMessage({ sessionId, runId: runId ?? null, role: "summary", content: text, status: "ok" });
    deps.store.markCompacted(older.map((r) => r.id), summary.id);
  });
  deps.logger.info({ sessionId, compacted: older.length, estimatedTokens: total }, "session compacted");
  return true;
}
