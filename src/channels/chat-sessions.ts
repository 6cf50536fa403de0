import type Database from "better-sqlite3";
import type { Store } from "../store/store.js";

/** A chat on a platform, the key of a channel binding. `threadId` is "" outside threads. */
export interface ChatKey {
  platform: string;
  chatId: string;
  threadId: string;
}

/** One session of a chat as `/sessions` lists it. Times are Unix epoch milliseconds. */
export interface ChatSession {
  id: string;
  title: string | null;
  createdAt: number;
  updatedAt: number;
}

const statements = new WeakMap<Store, { sessions: Database.Statement; firstText: Database.Statement }>();

function prepared(store: Store): { sessions: Database.Statement; firstText: Database.Statement } {
  let s = statements.get(store);
  if (!s) {
    s = {
      // the sessions this chat wrote in (its user messages carry the channel address), plus its current one
      sessions: store.sqlite.prepare(`
        select s.id, s.title, s.created_at as createdAt, s.updated_at as updatedAt from sessions s
        where s.id = @current or s.id in (
          select m.session_id from messages m
          where m.role = 'user' and m.channel is not null
            and json_extract(m.channel, '$.platform') = @platform and json_extract(m.channel, '$.chatId') = @chatId
            and coalesce(json_extract(m.channel, '$.threadId'), '') = @threadId)
        order by s.created_at, s.id`),
      firstText: store.sqlite.prepare(`
        select content from messages where session_id = ? and role = 'user' and substr(content, 1, 1) <> '/'
        order by id limit 1`),
    };
    statements.set(store, s);
  }
  return s;
}

/**
 * The sessions of one chat, oldest first: those it has written in, and `currentId` (its bound session, which may
 * still be empty after `/new`). Position + 1 is the number `/sessions` shows and `/switch N` takes; it only
 * changes when a session is deleted. Other chats' sessions never appear (a chat cannot read another's history).
 * Scans the messages table (rare commands only; fine up to ~10^5 messages).
 */
export function chatSessions(store: Store, chat: ChatKey, currentId?: string): ChatSession[] {
  return prepared(store).sessions.all({ ...chat, current: currentId ?? "" }) as ChatSession[];
}

/** A label for a session: its title, else its first user message that is not a command (cut to `maxChars`), else null. */
export function sessionLabel(store: Store, s: ChatSession, maxChars = 48): string | null {
  if (s.title) return s.title;
  const row = prepared(store).firstText.get(s.id) as { content: string } | undefined;
  if (!row) return null;
  const line = row.content.replace(/\s+/g, " ").trim();
  return line.length > maxChars ? `${line.slice(0, maxChars - 1)}…` : line;
}
