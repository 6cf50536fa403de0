import type { RecordedRequest, ScriptedTurn } from "./fake-llm.js";

/** The question the {@link recallRule} answers from the conversation the model was sent. */
export const RECALL_QUESTION = "What was my first message?";

/**
 * A fake-model rule that proves a session's history reaches the model: asked {@link RECALL_QUESTION}, it answers
 * `Your first message was: <first user message of the request>`; anything else falls through to the echo turn.
 */
export function recallRule(req: RecordedRequest): ScriptedTurn | undefined {
  const users = (req.body?.messages ?? []).filter((m: { role: string }) => m.role === "user").map((m: { content: unknown }) => (typeof m.content === "string" ? m.content : JSON.stringify(m.content)));
  if (users.at(-1) !== RECALL_QUESTION) return undefined;
  return { text: `Your first message was: ${users[0]}` };
}
