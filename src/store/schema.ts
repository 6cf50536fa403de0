import { sql } from "drizzle-orm";
import { sqliteTable, text, integer, real, blob, index, uniqueIndex, primaryKey } from "drizzle-orm/sqlite-core";
import { z } from "zod";
import { Attachment, ChannelAddress, ToolCall } from "../../protocol/chat.js";
import { DeliveryAddress, DeliveryAttachment, DeliveryButton } from "../../protocol/deliveries.js";
import { Scope } from "../../protocol/scopes.js";
import { json } from "./json-column.js";

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
 * `channel` is the JSON of the user message's channel address (read back as null when unreadable).
 * `compactedBy` points at the summary message that replaced this one in the model's context (the row stays).
 */
export const messages = sqliteTable("messages", {
  id: text("id").primaryKey(),
  sessionId: text("session_id").notNull().references(() => sessions.id, { onDelete: "cascade" }),
  runId: text("run_id"),
  role: text("role", { enum: ["user", "assistant", "tool", "summary"] }).notNull(),
  content: text("content").notNull(),
  toolCalls: json("tool_calls", z.array(ToolCall)),
  toolCallId: text("tool_call_id"),
  status: text("status", { enum: ["ok", "aborted", "error", "interrupted"] }).notNull().default("ok"),
  error: text("error"),
  model: text("model"),
  channel: json("channel", ChannelAddress, { fallback: null }),
  /** JSON array of the files sent with a user message (protocol `Attachment`), validated on read; null when none. */
  attachments: json("attachments", z.array(Attachment), { fallback: [] }),
  compactedBy: text("compacted_by"),
  createdAt: integer("created_at").notNull(),
}, (t) => [index("messages_session_idx").on(t.sessionId, t.id)]);

/**
 * One run per accepted `chat.send`. `idempotencyKey` is unique: a resend finds the first run.
 * `status`: queued | running | ok | aborted | error | interrupted | max_steps | max_length | ignored. A run's row
 * becomes `running` (with `startedAt`) with its first write, its first tool step's, or goes from `queued` straight to
 * its end (a one-step reply): both count as open everywhere (a crash, a session's deletion).
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
  deliverTo: json("deliver_to", z.array(DeliveryAddress)),
  /** A final text that, trimmed, equals this is not delivered (heartbeats' "nothing to report"). */
  silentReply: text("silent_reply"),
  /** Times the daemon ran it again at start after a crash interrupted it (a run that keeps crashing it is given up). */
  resumes: integer("resumes").notNull().default(0),
}, (t) => [
  uniqueIndex("runs_idempotency_idx").on(t.idempotencyKey),
  index("runs_session_idx").on(t.sessionId),
  // the runs still open (a handful at most): what a start looks up after a crash, without reading every run
  // ever stored (a full scan took ~28 ms per 100,000 runs at every start, issue 20). Queries must spell the same
  // literal condition (`OPEN_RUN`, src/store/store-queries.ts) for SQLite to use it (https://www.sqlite.org/partialindex.html)
  index("runs_open_idx").on(t.createdAt, t.id).where(sql`"status" in ('queued', 'running')`),
]);

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
 * The heartbeat's cheap check, stored as a heartbeat job's `check` JSON (see src/schedules/heartbeat.ts): the
 * prompt file and the conditions, each `{ fileChanged: path }` or `{ fileNotEmpty: path }`.
 */
export const HeartbeatCheck = z.strictObject({
  promptFile: z.string(),
  conditions: z.array(z.union([z.strictObject({ fileChanged: z.string() }), z.strictObject({ fileNotEmpty: z.string() })])),
});
/** See {@link HeartbeatCheck}. */
export type HeartbeatCheck = z.infer<typeof HeartbeatCheck>;

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
  deliverTo: json("deliver_to", z.array(DeliveryAddress)).notNull().default([]),
  session: text("session", { enum: ["own", "chat"] }).notNull().default("own"),
  sessionId: text("session_id"),
  catchUp: text("catch_up", { enum: ["skip", "once"] }).notNull().default("once"),
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
  maxSteps: integer("max_steps"),
  timeoutMs: integer("timeout_ms").notNull(),
  maxAttempts: integer("max_attempts").notNull(),
  retryInitialMs: integer("retry_initial_ms").notNull(),
  check: json("check", HeartbeatCheck),
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
  deliveryIds: json("delivery_ids", z.array(z.string())).notNull().default([]),
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
  platformMessageIds: json("platform_message_ids", z.array(z.string())).notNull().default([]),
  attachments: json("attachments", z.array(DeliveryAttachment), { fallback: [] }).notNull().default([]),
  leaseUntil: integer("lease_until"),
  nextAttemptAt: integer("next_attempt_at").notNull().default(0),
  reportedAt: integer("reported_at"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
  deliveredAt: integer("delivered_at"),
  /** JSON array of `{text, data}` buttons shown under the message (approval prompts, issue 13), or null. */
  buttons: json("buttons", z.array(DeliveryButton)),
}, (t) => [
  uniqueIndex("deliveries_idempotency_idx").on(t.idempotencyKey),
  index("deliveries_open_idx").on(t.platform, t.chatId, t.threadId, t.id).where(sql`"state" in ('pending', 'sending')`),
  index("deliveries_state_idx").on(t.state, t.id),
  index("deliveries_created_idx").on(t.createdAt),
]);

/**
 * Named API tokens with scopes (issue 15). The token itself is never stored: `key` is SHA-256(token) (32 bytes;
 * also the HMAC key of the WebSocket handshake, CONTRACTS.md A), `keyId` the first 16 hex characters of
 * SHA-256("agentd-key-id:" + token), by which a presented token or a handshake finds its row. `scopes` is a JSON
 * array of scope names. Times are epoch milliseconds; `expiresAt` null = never.
 */
export const apiTokens = sqliteTable("api_tokens", {
  name: text("name").primaryKey(),
  keyId: text("key_id").notNull(),
  key: blob("key", { mode: "buffer" }).notNull(),
  scopes: json("scopes", z.array(Scope)).notNull(),
  createdAt: integer("created_at").notNull(),
  expiresAt: integer("expires_at"),
  lastUsedAt: integer("last_used_at"),
}, (t) => [uniqueIndex("api_tokens_key_id_idx").on(t.keyId)]);

/**
 * Which named token created a session (issue 15): a token with only the `chat` scope sees and continues only
 * its own sessions. Sessions of the owner token, bridges and the web app have no row.
 */
export const sessionOwners = sqliteTable("session_owners", {
  sessionId: text("session_id").primaryKey().references(() => sessions.id, { onDelete: "cascade" }),
  tokenName: text("token_name").notNull(),
}, (t) => [index("session_owners_token_idx").on(t.tokenName)]);

/**
 * Approval requests (issue 13): a tool call whose policy says `ask` waits here for an answer. `state`: pending →
 * approved | denied | expired | cancelled (the run ended without it). `decision`: approve | always | deny.
 * `answerers`: JSON array of `platform:userId` that may answer from a chat besides the owner (token holders).
 * `deliverTo`: JSON array of the chats the prompt went to. `code`: the short code a chat user answers with
 * (`/approve CODE`). Times are Unix epoch milliseconds.
 */
export const approvals = sqliteTable("approvals", {
  id: text("id").primaryKey(),
  code: text("code").notNull(),
  tool: text("tool").notNull(),
  arguments: text("arguments").notNull(),
  subject: text("subject").notNull(),
  grantPattern: text("grant_pattern").notNull(),
  sessionId: text("session_id").notNull(),
  runId: text("run_id").notNull(),
  toolCallId: text("tool_call_id").notNull(),
  answerers: json("answerers", z.array(z.string())).notNull().default([]),
  deliverTo: json("deliver_to", z.array(DeliveryAddress)).notNull().default([]),
  state: text("state", { enum: ["pending", "approved", "denied", "expired", "cancelled"] }).notNull(),
  decision: text("decision", { enum: ["approve", "always", "deny"] }),
  decidedBy: text("decided_by"),
  decidedAt: integer("decided_at"),
  expiresAt: integer("expires_at").notNull(),
  createdAt: integer("created_at").notNull(),
}, (t) => [
  uniqueIndex("approvals_code_idx").on(t.code),
  index("approvals_state_idx").on(t.state, t.expiresAt),
  index("approvals_run_idx").on(t.runId),
]);

/** The owner's "Always for this pattern" answers: calls of `tool` whose subject matches `pattern` run without asking. */
export const approvalGrants = sqliteTable("approval_grants", {
  id: text("id").primaryKey(),
  tool: text("tool").notNull(),
  pattern: text("pattern").notNull(),
  approvalId: text("approval_id"),
  createdBy: text("created_by").notNull(),
  createdAt: integer("created_at").notNull(),
}, (t) => [uniqueIndex("approval_grants_tool_pattern_idx").on(t.tool, t.pattern)]);

/**
 * The audit trail (issue 13): every tool call that needed approval, who decided, when, and the outcome
 * (`approved`, `denied`, `expired`, `cancelled`, or `granted`: run without asking under an "always" grant;
 * `refused`: a `deny` rule). `decidedBy`: `owner`, `platform:userId`, `grant:<id>`, `policy` or `expiry`.
 */
export const toolAudit = sqliteTable("tool_audit", {
  id: text("id").primaryKey(),
  approvalId: text("approval_id"),
  tool: text("tool").notNull(),
  arguments: text("arguments").notNull(),
  sessionId: text("session_id").notNull(),
  runId: text("run_id").notNull(),
  outcome: text("outcome", { enum: ["approved", "denied", "expired", "cancelled", "granted", "refused"] }).notNull(),
  decidedBy: text("decided_by").notNull(),
  createdAt: integer("created_at").notNull(),
}, (t) => [index("tool_audit_created_idx").on(t.createdAt)]);

/** Senders the owner approved through pairing (issue 13): answered on `platform` as if on its allowlist. */
export const pairedSenders = sqliteTable("paired_senders", {
  platform: text("platform").notNull(),
  userId: text("user_id").notNull(),
  userName: text("user_name"),
  approvedBy: text("approved_by").notNull(),
  createdAt: integer("created_at").notNull(),
}, (t) => [primaryKey({ columns: [t.platform, t.userId] })]);

/**
 * One-time pairing codes given to unknown senders on a channel with `policy: pairing`; one per sender until it
 * expires (`expiresAt`, epoch ms) or is used (`usedAt`).
 */
export const pairingCodes = sqliteTable("pairing_codes", {
  code: text("code").primaryKey(),
  platform: text("platform").notNull(),
  userId: text("user_id").notNull(),
  userName: text("user_name"),
  chatId: text("chat_id").notNull(),
  expiresAt: integer("expires_at").notNull(),
  usedAt: integer("used_at"),
  createdAt: integer("created_at").notNull(),
}, (t) => [index("pairing_codes_sender_idx").on(t.platform, t.userId)]);
