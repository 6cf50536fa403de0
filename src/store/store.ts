import { and, desc, eq, inArray, isNull, lt, sql } from "drizzle-orm";
import type Database from "better-sqlite3";
import { openDb, guardStorage, type Db } from "./db.js";
import { sessions, messages, runs, usageEvents, channelBindings } from "./schema.js";
import { newId } from "./ids.js";
import { NotFoundError } from "../errors.js";
import type { ChannelAddress, Message, ToolCall } from "../../protocol/chat.js";
import type { Session } from "../../protocol/sessions.js";

/** A stored message row as drizzle returns it. */
export type MessageRow = typeof messages.$inferSelect;
/** A stored run row as drizzle returns it. */
export type RunRow = typeof runs.$inferSelect;
/** Run status values, see the `runs` table. */
export type RunStatus = RunRow["status"];
/** One usage record to insert (a model call). */
export type UsageInsert = Omit<typeof usageEvents.$inferInsert, "id" | "createdAt">;

const iso = (ms: number) => new Date(ms).toISOString();

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
  if (row.toolCalls) out.toolCalls = JSON.parse(row.toolCalls) as ToolCall[];
  if (row.toolCallId) out.toolCallId = row.toolCallId;
  if (row.error) out.error = row.error;
  if (row.model) out.model = row.model;
  if (row.channel) out.channel = JSON.parse(row.channel) as ChannelAddress;
  return out;
}

/**
 * The agent's SQLite store (`DIR/agentd.db`): sessions, messages, runs, usage and channel bindings.
 * All calls are synchronous (better-sqlite3); writes that belong together run in one transaction, and
 * SQLite busy/full errors surface as `StorageError` with nothing half-written.
 */
export class Store {
  readonly sqlite: Database.Database;
  readonly db: Db;

  constructor(file: string) {
    ({ sqlite: this.sqlite, db: this.db } = openDb(file));
  }

  /** Closes the database (checkpoints the WAL). */
  close(): void {
    this.sqlite.close();
  }

  /** Creates a session. */
  createSession(title?: string): Session {
    const now = Date.now();
    const row = { id: newId("s"), title: title ?? null, createdAt: now, updatedAt: now };
    guardStorage("create a session", () => this.db.insert(sessions).values(row).run());
    return { id: row.id, title: row.title, createdAt: iso(now), updatedAt: iso(now), messageCount: 0 };
  }

  /** A session by id, or undefined. */
  getSession(id: string): Session | undefined {
    return this.listSessionsWhere(eq(sessions.id, id), 1)[0];
  }

  /** A session by id; throws {@link NotFoundError} when there is none. */
  requireSession(id: string): Session {
    const s = this.getSession(id);
    if (!s) throw new NotFoundError(`no session ${id}`, { sessionId: id });
    return s;
  }

  /** Sessions, most recently active first, with their message counts (user and assistant messages). */
  listSessions(limit: number): Session[] {
    return this.listSessionsWhere(undefined, limit);
  }

  private listSessionsWhere(where: ReturnType<typeof eq> | undefined, limit: number): Session[] {
    const count = sql<number>`(select count(*) from "messages" m where m."session_id" = "sessions"."id" and m."role" in ('user','assistant'))`;
    const rows = this.db
      .select({ id: sessions.id, title: sessions.title, createdAt: sessions.createdAt, updatedAt: sessions.updatedAt, messageCount: count })
      .from(sessions)
      .where(where)
      .orderBy(desc(sessions.updatedAt), desc(sessions.id))
      .limit(limit)
      .all();
    return rows.map((r) => ({ ...r, createdAt: iso(r.createdAt), updatedAt: iso(r.updatedAt) }));
  }

  /** Sets a session's title. */
  setTitle(sessionId: string, title: string): void {
    guardStorage("set a title", () => this.db.update(sessions).set({ title }).where(eq(sessions.id, sessionId)).run());
  }

  /**
   * Accepts a user message: in one transaction, stores the message and a queued run (unique idempotency key)
   * and touches the session. This is the "on disk before we answer" point of `chat.send`.
   */
  acceptMessage(input: { sessionId: string; content: string; idempotencyKey: string; channel?: ChannelAddress; attachments?: unknown }): { run: RunRow; message: MessageRow } {
    const now = Date.now();
    const message: MessageRow = {
      id: newId("m"), sessionId: input.sessionId, runId: null, role: "user", content: input.content, toolCalls: null,
      toolCallId: null, status: "ok", error: null, model: null, channel: input.channel ? JSON.stringify(input.channel) : null,
      compactedBy: null, createdAt: now,
    };
    const run: RunRow = {
      id: newId("r"), sessionId: input.sessionId, idempotencyKey: input.idempotencyKey, status: "queued", model: null,
      userMessageId: message.id, assistantMessageId: null, errorCode: null, error: null, createdAt: now, startedAt: null, finishedAt: null,
    };
    message.runId = run.id;
    guardStorage("store the message", () =>
      this.db.transaction((tx) => {
        tx.insert(messages).values(message).run();
        tx.insert(runs).values(run).run();
        tx.update(sessions).set({ updatedAt: now }).where(eq(sessions.id, input.sessionId)).run();
      }),
    );
    return { run, message };
  }

  /** Appends an assistant, tool or summary message. */
  insertMessage(input: Omit<MessageRow, "id" | "createdAt" | "compactedBy" | "channel" | "toolCallId" | "toolCalls" | "error" | "model" | "runId"> & Partial<MessageRow>): MessageRow {
    const row: MessageRow = {
      runId: null, toolCalls: null, toolCallId: null, error: null, model: null, channel: null, compactedBy: null,
      ...input, id: newId("m"), createdAt: Date.now(),
    };
    guardStorage("store a message", () => this.db.insert(messages).values(row).run());
    return row;
  }

  /** The newest `limit` messages of a session (or those before `beforeId`), oldest first. */
  history(sessionId: string, limit: number, beforeId?: string): MessageRow[] {
    const where = beforeId ? and(eq(messages.sessionId, sessionId), lt(messages.id, beforeId)) : eq(messages.sessionId, sessionId);
    return this.db.select().from(messages).where(where).orderBy(desc(messages.id)).limit(limit).all().reverse();
  }

  /** Messages still in the model's context (not replaced by a summary), oldest first. */
  contextMessages(sessionId: string): MessageRow[] {
    return this.db.select().from(messages).where(and(eq(messages.sessionId, sessionId), isNull(messages.compactedBy))).orderBy(messages.id).all();
  }

  /** Marks messages as replaced by the summary message `summaryId` (they stay in the database). */
  markCompacted(ids: string[], summaryId: string): void {
    if (ids.length === 0) return;
    guardStorage("compact messages", () => this.db.update(messages).set({ compactedBy: summaryId }).where(inArray(messages.id, ids)).run());
  }

  /** The run with this idempotency key, or undefined. */
  findRunByKey(key: string): RunRow | undefined {
    return this.db.select().from(runs).where(eq(runs.idempotencyKey, key)).get();
  }

  /** A run by id, or undefined. */
  getRun(id: string): RunRow | undefined {
    return this.db.select().from(runs).where(eq(runs.id, id)).get();
  }

  /** The text a run showed: its assistant messages' texts in order, joined by a blank line (as streamed). */
  runText(runId: string): string {
    return this.db.select({ content: messages.content }).from(messages)
      .where(and(eq(messages.runId, runId), eq(messages.role, "assistant"))).orderBy(messages.id).all()
      .map((m) => m.content).filter(Boolean).join("\n\n");
  }

  /** A message by id, or undefined. */
  getMessage(id: string): MessageRow | undefined {
    return this.db.select().from(messages).where(eq(messages.id, id)).get();
  }

  /** Updates a run's status and fields. */
  updateRun(id: string, set: Partial<Omit<RunRow, "id">>): void {
    guardStorage("update the run", () => this.db.update(runs).set(set).where(eq(runs.id, id)).run());
  }

  /**
   * At start: every run still `queued` or `running` belongs to a daemon that died; mark it `interrupted`.
   * A client that resends its idempotency key later gets it run again (see the runner). Returns the count.
   */
  markInterruptedRuns(): number {
    const res = guardStorage("mark interrupted runs", () =>
      this.db.update(runs).set({ status: "interrupted", finishedAt: Date.now(), errorCode: "aborted", error: "the daemon stopped during the run" })
        .where(inArray(runs.status, ["queued", "running"])).run(),
    );
    return res.changes;
  }

  /** Records the usage of one model call. */
  recordUsage(u: UsageInsert): void {
    guardStorage("record usage", () => this.db.insert(usageEvents).values({ ...u, createdAt: Date.now() }).run());
  }

  /** Sum of tokens over a run (for `run.done`). */
  runUsage(runId: string): { promptTokens: number; completionTokens: number; cachedTokens: number; costUsd: number | null } {
    const r = this.db
      .select({
        promptTokens: sql<number>`coalesce(sum(${usageEvents.promptTokens}), 0)`,
        completionTokens: sql<number>`coalesce(sum(${usageEvents.completionTokens}), 0)`,
        cachedTokens: sql<number>`coalesce(sum(${usageEvents.cachedTokens}), 0)`,
        costUsd: sql<number | null>`sum(${usageEvents.costUsd})`,
      })
      .from(usageEvents)
      .where(and(eq(usageEvents.runId, runId), eq(usageEvents.purpose, "chat")))
      .get();
    return r ?? { promptTokens: 0, completionTokens: 0, cachedTokens: 0, costUsd: null };
  }

  /** The session bound to a chat `(platform, chatId, threadId)`, if any. */
  getBinding(platform: string, chatId: string, threadId = ""): typeof channelBindings.$inferSelect | undefined {
    return this.db.select().from(channelBindings)
      .where(and(eq(channelBindings.platform, platform), eq(channelBindings.chatId, chatId), eq(channelBindings.threadId, threadId))).get();
  }

  /** Binds a chat to a session (insert or replace), optionally with a per-chat model override. */
  setBinding(platform: string, chatId: string, threadId: string, sessionId: string, model?: string | null): void {
    const row = { platform, chatId, threadId, sessionId, model: model ?? null, updatedAt: Date.now() };
    guardStorage("bind the chat", () =>
      this.db.insert(channelBindings).values(row)
        .onConflictDoUpdate({ target: [channelBindings.platform, channelBindings.chatId, channelBindings.threadId], set: { sessionId, model: row.model, updatedAt: row.updatedAt } })
        .run(),
    );
  }
}
