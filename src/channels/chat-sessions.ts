import type { ChatKey, ChatSession, Store } from "../store/store.js";

export type { ChatKey, ChatSession };

/** A label for a session: its title, else its first user message that is not a command (cut to `maxChars`), else null. */
export function sessionLabel(store: Store, s: ChatSession, maxChars = 48): string | null {
  if (s.title) return s.title;
  const text = store.firstUserText(s.id);
  if (text === undefined) return null;
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > maxChars ? `${line.slice(0, maxChars - 1)}…` : line;
}
