/**
 * Helpers for the agent-loop acceptance tests (test fixture): tell chat requests from the daemon's side calls
 * (session titles, compaction summaries: non-streamed), and script those side calls so they never consume the
 * turns a test queued for its chat.
 */
import type { FakeLlm, RecordedRequest, ScriptedTurn } from "./fake-llm.js";
import type { ChatRun } from "../../protocol/client.js";
import type { RunEvent } from "../../protocol/events.js";

/** The title every scripted title request gets. */
export const SCRIPTED_TITLE = "Scripted title";
/** The summary every scripted compaction request gets. */
export const SCRIPTED_SUMMARY = "- the user sent several long messages about the weather";

/** True for a streamed chat request of a run (titles and summaries are not streamed). */
export const isChat = (r: RecordedRequest): boolean => r.body?.stream === true;

/** The chat requests received so far. */
export const chatRequests = (llm: FakeLlm): RecordedRequest[] => llm.requests.filter(isChat);

/** The system prompt of a request. */
export const systemPrompt = (r: RecordedRequest): string => r.body.messages.find((m: any) => m.role === "system")?.content ?? "";

/** Text of the last user message of a request. */
export const lastUser = (r: RecordedRequest): string => [...r.body.messages].reverse().find((m: any) => m.role === "user")?.content ?? "";

/**
 * Installs a rule that answers title and compaction requests with {@link SCRIPTED_TITLE} / {@link SCRIPTED_SUMMARY};
 * `chat` (optional) answers chat requests before the queue is consulted.
 */
export function scriptSideCalls(llm: FakeLlm, chat?: (r: RecordedRequest) => ScriptedTurn | undefined): void {
  llm.onRequest((r) => {
    if (isChat(r)) return chat?.(r);
    const instructions = String(r.body.messages?.[0]?.content ?? "");
    if (instructions.startsWith("Give this conversation a short title")) return { text: SCRIPTED_TITLE };
    if (instructions.startsWith("You compress a conversation")) return { text: SCRIPTED_SUMMARY };
    return { text: "unexpected side call" };
  });
}

/** All events of a run until it ends. */
export async function collect(run: ChatRun): Promise<RunEvent[]> {
  const out: RunEvent[] = [];
  for await (const ev of run.events) out.push(ev);
  return out;
}
