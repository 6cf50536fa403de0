import { sql } from "drizzle-orm";
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
  /** JSON array of the DeliveryAddress targets its final text goes to (issue 11), stored at accept; null: none. */
  deliverTo: text("deliver_to"),
  /** A final text that, trimmed, equals this is not delivered (heartbeats' "nothing to report"). */
  silentReply: text("silent_reply"),
  /** Times the daemon ran it again at start after a crash interrupted it (a run that keeps crashing it is given up). */
  resumes: integer("resumes").notNull().default(0),
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

/**
 * Scheduled jobs (issue 11). `kind`: at | cron | every | heartbeat; `spec` holds the cron expression, the
 * interval in ms or the one-shot instant (epoch ms), as text. `deliverTo` and `check` (the heartbeat's cheap
 * check) are JSON. `nextDueAt` (epoch ms) is null once a one-shot fired or while the job is disabled.
 */
export const schedules = sqliteTable("schedules", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  source: text("source", { enum: ["config", "api", "agent"] }).notNull(),
  kind: text("kind", { enum: ["at", "cron", "every", "heartbeat"] }).notNull(),
  spec: text("spec").notNull(),
  timezone: text("timezone").notNull(),
  prompt: text("prompt").notNull(),
  deliverTo: text("deliver_to").notNull().default("[]"),
  session: text("session", { enum: ["own", "chat"] }).notNull().default("own"),
  sessionId: text("session_id"),
  catchUp: text("catch_up", { enum: ["skip", "once"] }).notNull().default("once"),
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
  maxSteps: integer("max_steps"),
  timeoutMs: integer("timeout_ms").notNull(),
  maxAttempts: integer("max_attempts").notNull(),
  retryInitialMs: integer("retry_initial_ms").notNull(),
  check: text("check"),
  /** For `config` jobs: the agentd.yaml entry as JSON, to tell an edited entry from an unchanged one at reload. */
  configJson: text("config_json"),
  nextDueAt: integer("next_due_at"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
}, (t) => [index("schedules_due_idx").on(t.enabled, t.nextDueAt)]);

/**
 * One firing of a job per due time: `(schedule_id, due_at)` is unique, so a firing is recorded once however
 * often the daemon crashes around it (issue 11). `status`: running | ok | silent | skipped | failed;
 * `runId` is the run of the last attempt; `deliveryIds` (JSON array) the outbox rows it wrote.
 */
export const scheduleFirings = sqliteTable("schedule_firings", {
  id: text("id").primaryKey(),
  scheduleId: text("schedule_id").notNull().references(() => schedules.id, { onDelete: "cascade" }),
  dueAt: integer("due_at").notNull(),
  trigger: text("trigger", { enum: ["due", "catch_up", "manual"] }).notNull(),
  status: text("status", { enum: ["running", "ok", "silent", "skipped", "failed"] }).notNull(),
  attempts: integer("attempts").notNull().default(0),
  /** Starts of the daemon that found this firing `running` and resumed it (a firing that keeps crashing the daemon is given up). */
  resumes: integer("resumes").notNull().default(0),
  runId: text("run_id"),
  error: text("error"),
  deliveryIds: text("delivery_ids").notNull().default("[]"),
  startedAt: integer("started_at").notNull(),
  finishedAt: integer("finished_at"),
}, (t) => [uniqueIndex("schedule_firings_due_idx").on(t.scheduleId, t.dueAt), index("schedule_firings_status_idx").on(t.status)]);

/**
 * The outbox (issue 11): every message the agent sends to a chat, stored before any bridge sees it. Ids sort by
 * creation (the order of delivery within a chat). `state`: pending → sending → delivered | failed.
 * `threadId` is "" when the chat has none. `platformMessageIds` is the JSON array of the platform's ids of the
 * chunks sent so far. `leaseUntil`: while `sending`, when an unacknowledged offer expires; `nextAttemptAt`: while
 * `pending`, not offered before. `reportedAt`: when a `failed` delivery was told to the user (next turn).
 * `attachments` (issue 12): JSON array of files sent after the text, each `{ path, name, mime, bytes, kind }` with
 * `path` relative to the agent folder; validated on read by the protocol's `DeliveryAttachment`.
 */
export const deliveries = sqliteTable("deliveries", {
  id: text("id").primaryKey(),
  platform: text("platform").notNull(),
  chatId: text("chat_id").notNull(),
  threadId: text("thread_id").notNull().default(""),
  replyTo: text("reply_to"),
  text: text("text").notNull(),
  runId: text("run_id"),
  idempotencyKey: text("idempotency_key"),
  state: text("state", { enum: ["pending", "sending", "delivered", "failed"] }).notNull(),
  attempts: integer("attempts").notNull().default(0),
  lastError: text("last_error"),
  platformMessageIds: text("platform_message_ids").notNull().default("[]"),
  attachments: text("attachments").notNull().default("[]"),
  leaseUntil: integer("lease_until"),
  nextAttemptAt: integer("next_attempt_at").notNull().default(0),
  reportedAt: integer("reported_at"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
  deliveredAt: integer("delivered_at"),
}, (t) => [
  uniqueIndex("deliveries_idempotency_idx").on(t.idempotencyKey),
  index("deliveries_open_idx").on(t.platform, t.chatId, t.threadId, t.id).where(sql`"state" in ('pending', 'sending')`),
  index("deliveries_state_idx").on(t.state, t.id),
  index("deliveries_created_idx").on(t.createdAt),
]);
