import type { ChatKey, ChatSession, Store } from "../store/store.js";

export type { ChatKey, ChatSession };

/**
 * The sessions of one chat, oldest first: those it has written in, and `currentId` (its bound session, which may
 * still be empty after `/new`). Position + 1 is the number `/sessions` shows and `/switch N` takes; it only
 * changes when a session is deleted. Other chats' sessions never appear (a chat cannot read another's history).
 * The query is `Store.chatSessions`.
 */
export function chatSessions(store: Store, chat: ChatKey, currentId?: string): ChatSession[] {
  return store.chatSessions(chat, currentId);
}

/** A label for a session: its title, else its first user message that is not a command (cut to `maxChars`), else null. */
export function sessionLabel(store: Store, s: ChatSession, maxChars = 48): string | null {
  if (s.title) return s.title;
  const text = store.firstUserText(s.id);
  if (text === undefined) return null;
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > maxChars ? `${line.slice(0, maxChars - 1)}…` : line;
}
