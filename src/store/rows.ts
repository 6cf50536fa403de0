import type { Attachment, Message } from "../../protocol/chat.js";
import type { channelBindings, messages, runs, usageEvents } from "./schema.js";

/** A stored message row as drizzle returns it (JSON columns parsed and validated, see src/store/json-column.ts). */
export type MessageRow = typeof messages.$inferSelect;
/** A stored run row as drizzle returns it. */
export type RunRow = typeof runs.$inferSelect;
/** Run status values, see the `runs` table. */
export type RunStatus = RunRow["status"];
/** One usage record to insert (a model call). */
export type UsageInsert = Omit<typeof usageEvents.$inferInsert, "id" | "createdAt">;
/** A channel binding row: the session of a chat `(platform, chatId, threadId)`. */
export type BindingRow = typeof channelBindings.$inferSelect;
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

/** An epoch-milliseconds time as an ISO 8601 string (the wire's times). */
export const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The files stored with a message row (its `attachments` JSON column, validated on read): an empty array when
 * there are none, and when the column does not hold a valid array (a hand-edited database), so one bad row never
 * breaks a session's history.
 */
export function rowAttachments(row: Pick<MessageRow, "attachments">): Attachment[] {
  return row.attachments ?? [];
}

/** Converts a stored row into the wire {@link Message} shape. */
export function toWireMessage(row: MessageRow): Message {
  const out: Message = {
    id: row.id,
    sessionId: row.sessionId,
    runId: row.runId,
    role: row.role,
    content: row.content,
    status: row.status,
    createdAt: iso(row.createdAt),
  };
  if (row.toolCalls) out.toolCalls = row.toolCalls;
  if (row.toolCallId) out.toolCallId = row.toolCallId;
  if (row.error) out.error = row.error;
  if (row.model) out.model = row.model;
  if (row.channel) out.channel = row.channel;
  const files = rowAttachments(row);
  if (files.length) out.attachments = files;
  return out;
}

