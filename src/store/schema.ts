import { sqliteTable, text, integer, real, index, uniqueIndex, primaryKey } from "drizzle-orm/sqlite-core";

/** Conversations. Times are Unix epoch milliseconds. */
export const sessions = sqliteTable("sessions", {
  id: text("id").primaryKey(),
  title: text("title"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
}, (t) => [index("sessions_updated_idx").on(t.updatedAt)]);

/**
 * Every message of every session, in id order (ids sort by creation). `role`: user | assistant | tool | summary.
 * `toolCalls` is the JSON array of the assistant's tool calls; `status`: ok | aborted | error | interrupted.
 * `compactedBy` points at the summary message that replaced this one in the model's context (the row stays).
 */
export const messages = sqliteTable("messages", {
  id: text("id").primaryKey(),
  sessionId: text("session_id").notNull().references(() => sessions.id, { onDelete: "cascade" }),
  runId: text("run_id"),
  role: text("role", { enum: ["user", "assistant", "tool", "summary"] }).notNull(),
  content: text("content").notNull(),
  toolCalls: text("tool_calls"),
  toolCallId: text("tool_call_id"),
  status: text("status", { enum: ["ok", "aborted", "error", "interrupted"] }).notNull().default("ok"),
  error: text("error"),
  model: text("model"),
  channel: text("channel"),
  /** JSON array of the files sent with a user message (protocol `Attachment`), validated on read; null when none. */
  attachments: text("attachments"),
  compactedBy: text("compacted_by"),
  createdAt: integer("created_at").notNull(),
}, (t) => [index("messages_session_idx").on(t.sessionId, t.id)]);

/**
 * One run per accepted `chat.send`. `idempotencyKey` is unique: a resend finds the first run.
 * `status`: queued | running | ok | aborted | error | interrupted | max_steps | max_length | ignored.
 */
export const runs = sqliteTable("runs", {
  id: text("id").primaryKey(),
  sessionId: text("session_id").notNull().references(() => sessions.id, { onDelete: "cascade" }),
  idempotencyKey: text("idempotency_key").notNull(),
  status: text("status", { enum: ["queued", "running", "ok", "aborted", "error", "interrupted", "max_steps", "max_length", "ignored"] }).notNull(),
  model: text("model"),
  userMessageId: text("user_message_id").notNull(),
  assistantMessageId: text("assistant_message_id"),
  errorCode: text("error_code"),
  error: text("error"),
  createdAt: integer("created_at").notNull(),
  startedAt: integer("started_at"),
  finishedAt: integer("finished_at"),
}, (t) => [uniqueIndex("runs_idempotency_idx").on(t.idempotencyKey), index("runs_session_idx").on(t.sessionId)]);

/** Token usage of one model call, with the model that answered and its cost in USD (null when unpriced). */
export const usageEvents = sqliteTable("usage_events", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  sessionId: text("session_id").notNull(),
  runId: text("run_id").notNull(),
  model: text("model").notNull(),
  provider: text("provider").notNull(),
  purpose: text("purpose", { enum: ["chat", "title", "compaction", "test"] }).notNull().default("chat"),
  promptTokens: integer("prompt_tokens").notNull(),
  completionTokens: integer("completion_tokens").notNull(),
  cachedTokens: integer("cached_tokens").notNull().default(0),
  costUsd: real("cost_usd"),
  createdAt: integer("created_at").notNull(),
}, (t) => [index("usage_created_idx").on(t.createdAt), index("usage_run_idx").on(t.runId)]);

/** The current session of a chat on a platform: `(platform, chatId, threadId)` → session (issue 6). */
export const channelBindings = sqliteTable("channel_bindings", {
  platform: text("platform").notNull(),
  chatId: text("chat_id").notNull(),
  threadId: text("thread_id").notNull().default(""),
  sessionId: text("session_id").notNull().references(() => sessions.id, { onDelete: "cascade" }),
  model: text("model"),
  updatedAt: integer("updated_at").notNull(),
}, (t) => [primaryKey({ columns: [t.platform, t.chatId, t.threadId] })]);
