import { and, desc, eq, getTableColumns, getTableName, inArray, lt, sql } from "drizzle-orm";
import type Database from "better-sqlite3";
import { openDb, guardStorage, type Db } from "./db.js";
import { WalSync } from "./wal-sync.js";
import { sessions, messages, runs, usageEvents, channelBindings, sessionOwners } from "./schema.js";
import { TokenRows } from "./token-rows.js";
import { newId } from "./ids.js";
import { AgentdError, NotFoundError } from "../errors.js";
import { DeliveryQueries } from "./delivery-queries.js";
import { z } from "zod";
import { Attachment, type ChannelAddress, type Message, type ToolCall } from "../../protocol/chat.js";
import { ApprovalQueries } from "./approval-queries.js";
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

type Table = typeof sessions | typeof messages | typeof runs | typeof usageEvents | typeof channelBindings;
type Value = string | number | null;

/** `"col" AS "prop"` for every column of `table`: raw rows come back in drizzle's (camelCase) shape. */
function selectList(table: Table): string {
  return Object.entries(getTableColumns(table)).map(([prop, c]) => `"${c.name}" AS "${prop}"`).join(", ");
}

/** Property name → column name of `table`. */
function columnNames(table: Table): Map<string, string> {
  return new Map(Object.entries(getTableColumns(table)).map(([prop, c]) => [prop, c.name]));
}

const MESSAGE_COLS = selectList(messages);
const RUN_COLS = selectList(runs);
const BINDING_COLS = selectList(channelBindings);
const RUN_COLUMN_NAMES = columnNames(runs);
/** A session's message count (user and assistant messages), as a correlated subquery on `"sessions"`. */
const MESSAGE_COUNT_SQL = `(select count(*) from "messages" m where m."session_id" = "sessions"."id" and m."role" in ('user','assistant'))`;

const Attachments = z.array(Attachment);

/**
 * The files stored with a message row (its `attachments` JSON column), validated on read: an empty array when
 * there are none, and when the column does not hold a valid array (a hand-edited database), so one bad row never
 * breaks a session's history.
 */
export function rowAttachments(row: Pick<MessageRow, "attachments">): Attachment[] {
  if (!row.attachments) return [];
  try {
    const parsed = Attachments.safeParse(JSON.parse(row.attachments));
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
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
  if (row.toolCalls) out.toolCalls = JSON.parse(row.toolCalls) as ToolCall[];
  if (row.toolCallId) out.toolCallId = row.toolCallId;
  if (row.error) out.error = row.error;
  if (row.model) out.model = row.model;
  if (row.channel) out.channel = JSON.parse(row.channel) as ChannelAddress;
  const files = rowAttachments(row);
  if (files.length) out.attachments = files;
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
  /** The outbox's queries (issue 11). */
  readonly deliveries: DeliveryQueries;
  /** Approvals, grants, the tool audit trail and pairing (issue 13). */
  readonly approvals: ApprovalQueries;

  /** Prepared statements of the per-turn queries by SQL text, prepared once (drizzle prepares on every call). */
  private readonly statements = new Map<string, Database.Statement>();
  /** Cached INSERT statements by table name, with the row properties in the order of their parameters. */
  private readonly inserts = new Map<string, { props: string[]; stmt: Database.Statement }>();
  private acceptTx: ((message: MessageRow, run: RunRow, now: number) => void) | undefined;
  /** Group commit of the WAL: see {@link durable}. */
  readonly walSync: WalSync;

  /** Named API tokens and session ownership (issue 15). */
  readonly tokens: TokenRows;

  constructor(file: string) {
    ({ sqlite: this.sqlite, db: this.db } = openDb(file));
    this.walSync = new WalSync(`${file}-wal`);
    this.deliveries = new DeliveryQueries(this.sqlite);
    this.tokens = new TokenRows(this.sqlite);
    this.approvals = new ApprovalQueries(this.db);
  }

  /**
   * Resolves once every transaction committed before the call is on stable storage (survives a power cut, not
   * only a crash of the process): one `fdatasync` of the WAL shared by every caller waiting at that moment (group
   * commit, {@link WalSync}), off the event loop. `chat.send` awaits it after {@link acceptMessage} and before it
   * answers. Rejects with `StorageError` when the sync fails.
   */
  durable(): Promise<void> {
    return this.walSync.sync();
  }

  /** The cached prepared statement for `text` (prepared on first use). */
  private stmt(text: string): Database.Statement {
    let s = this.statements.get(text);
    if (!s) {
      s = this.sqlite.prepare(text);
      this.statements.set(text, s);
    }
    return s;
  }

  /** Inserts a row into `table` (every column; a missing or undefined property binds as NULL) with a cached statement. */
  private insertRow(table: Table, row: Record<string, unknown>): void {
    const name = getTableName(table);
    let ins = this.inserts.get(name);
    if (!ins) {
      const cols = columnNames(table);
      const list = [...cols.values()].map((c) => `"${c}"`).join(", ");
      ins = { props: [...cols.keys()], stmt: this.sqlite.prepare(`INSERT INTO "${name}" (${list}) VALUES (${[...cols.values()].map(() => "?").join(", ")})`) };
      this.inserts.set(name, ins);
    }
    ins.stmt.run(...ins.props.map((p) => (row[p] ?? null) as Value));
  }

  /** Closes the database (checkpoints the WAL). */
  close(): void {
    void this.walSync.close();
    this.sqlite.close();
  }

  /** Creates a session. */
  createSession(title?: string): Session {
    const now = Date.now();
    const row = { id: newId("s"), title: title ?? null, createdAt: now, updatedAt: now };
    guardStorage("create a session", () => this.insertRow(sessions, row));
    return { id: row.id, title: row.title, createdAt: iso(now), updatedAt: iso(now), messageCount: 0 };
  }

  /** A session by id, or undefined. */
  getSession(id: string): Session | undefined {
    const r = this.stmt(
      `SELECT "id", "title", "created_at" AS "createdAt", "updated_at" AS "updatedAt", ${MESSAGE_COUNT_SQL} AS "messageCount" FROM "sessions" WHERE "id" = ?`,
    ).get(id) as { id: string; title: string | null; createdAt: number; updatedAt: number; messageCount: number } | undefined;
    return r && { ...r, createdAt: iso(r.createdAt), updatedAt: iso(r.updatedAt) };
  }

  /** A session's id and title, or undefined when there is none: cheaper than {@link getSession} (no message count), for per-turn checks. */
  sessionHead(id: string): { id: string; title: string | null } | undefined {
    return this.stmt(`SELECT "id", "title" FROM "sessions" WHERE "id" = ?`).get(id) as { id: string; title: string | null } | undefined;
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

  /** Sessions created by the named token `tokenName` (see `session_owners`), most recently active first. */
  listSessionsOwnedBy(tokenName: string, limit: number): Session[] {
    return this.listSessionsWhere(inArray(sessions.id, this.db.select({ id: sessionOwners.sessionId }).from(sessionOwners).where(eq(sessionOwners.tokenName, tokenName))), limit);
  }

  private listSessionsWhere(where: ReturnType<typeof eq> | undefined, limit: number): Session[] {
    const count = sql<number>`${sql.raw(MESSAGE_COUNT_SQL)}`;
    const rows = this.db
      .select({ id: sessions.id, title: sessions.title, createdAt: sessions.createdAt, updatedAt: sessions.updatedAt, messageCount: count })
      .from(sessions)
      .where(where)
      .orderBy(desc(sessions.updatedAt), desc(sessions.id))
      .limit(limit)
      .all();
    return rows.map((r) => ({ ...r, createdAt: iso(r.createdAt), updatedAt: iso(r.updatedAt) }));
  }

  /**
   * Deletes a session with its messages, runs and channel bindings (foreign keys cascade; usage rows stay, so
   * spend history is kept). Throws {@link NotFoundError} when there is none, a `conflict` AgentdError while one of
   * its runs is queued or running (stop it first: a run must never write into a deleted session).
   */
  deleteSession(id: string): void {
    this.requireSession(id);
    const active = this.stmt(`SELECT COUNT(*) AS "n" FROM "runs" WHERE "session_id" = ? AND "status" IN ('queued', 'running')`).get(id) as { n: number };
    if (active.n > 0) throw new AgentdError("conflict", `session ${id} has a reply in progress: stop it first`, { details: { sessionId: id } });
    guardStorage("delete a session", () => this.stmt(`DELETE FROM "sessions" WHERE "id" = ?`).run(id));
  }

  /** Sets a session's title. */
  setTitle(sessionId: string, title: string): void {
    guardStorage("set a title", () => this.db.update(sessions).set({ title }).where(eq(sessions.id, sessionId)).run());
  }

  /**
   * Accepts a user message: in one transaction, stores the message and a queued run (unique idempotency key)
   * and touches the session. It survives a crash of the process once this returns, and a power cut once
   * {@link durable} resolves: `chat.send` awaits both before it answers.
   */
  acceptMessage(input: {
    sessionId: string; content: string; idempotencyKey: string; channel?: ChannelAddress; attachments?: Attachment[] | undefined;
    /** JSON of the run's delivery targets (see the `runs` table). */
    deliverTo?: string | null; silentReply?: string | null;
  }): { run: RunRow; message: MessageRow } {
    const now = Date.now();
    const message: MessageRow = {
      id: newId("m"), sessionId: input.sessionId, runId: null, role: "user", content: input.content, toolCalls: null,
      toolCallId: null, status: "ok", error: null, model: null, channel: input.channel ? JSON.stringify(input.channel) : null,
      attachments: input.attachments?.length ? JSON.stringify(input.attachments) : null, compactedBy: null, createdAt: now,
    };
    const run: RunRow = {
      id: newId("r"), sessionId: input.sessionId, idempotencyKey: input.idempotencyKey, status: "queued", model: null,
      userMessageId: message.id, assistantMessageId: null, errorCode: null, error: null, createdAt: now, startedAt: null, finishedAt: null,
      deliverTo: input.deliverTo ?? null, silentReply: input.silentReply ?? null, resumes: 0,
    };
    message.runId = run.id;
    this.acceptTx ??= this.sqlite.transaction((m: MessageRow, r: RunRow, at: number) => {
      this.insertRow(messages, m);
      this.insertRow(runs, r);
      this.stmt(`UPDATE "sessions" SET "updated_at" = ? WHERE "id" = ?`).run(at, r.sessionId);
    });
    guardStorage("store the message", () => this.acceptTx!(message, run, now));
    return { run, message };
  }

  /** Appends an assistant, tool or summary message. */
  insertMessage(input: Omit<MessageRow, "id" | "createdAt" | "compactedBy" | "channel" | "attachments" | "toolCallId" | "toolCalls" | "error" | "model" | "runId"> & Partial<MessageRow>): MessageRow {
    const row: MessageRow = {
      runId: null, toolCalls: null, toolCallId: null, error: null, model: null, channel: null, attachments: null, compactedBy: null,
      ...input, id: newId("m"), createdAt: Date.now(),
    };
    guardStorage("store a message", () => this.insertRow(messages, row));
    return row;
  }

  /**
   * Creates a session holding `history` (user and assistant messages, in order) in one transaction: a
   * conversation a client sent whole (the OpenAI-compatible endpoint's stateless mode).
   */
  createSessionWithHistory(history: ReadonlyArray<{ role: "user" | "assistant"; content: string }>): Session {
    return guardStorage("store the conversation", () => this.sqlite.transaction(() => {
      const session = this.createSession();
      for (const m of history) this.insertMessage({ sessionId: session.id, role: m.role, content: m.content, status: "ok" });
      return session;
    })());
  }

  /** The newest `limit` messages of a session (or those before `beforeId`), oldest first. */
  history(sessionId: string, limit: number, beforeId?: string): MessageRow[] {
    const where = beforeId ? and(eq(messages.sessionId, sessionId), lt(messages.id, beforeId)) : eq(messages.sessionId, sessionId);
    return this.db.select().from(messages).where(where).orderBy(desc(messages.id)).limit(limit).all().reverse();
  }

  /** Messages still in the model's context (not replaced by a summary), oldest first. */
  contextMessages(sessionId: string): MessageRow[] {
    return this.stmt(`SELECT ${MESSAGE_COLS} FROM "messages" WHERE "session_id" = ? AND "compacted_by" IS NULL ORDER BY "id"`).all(sessionId) as MessageRow[];
  }

  /** Marks messages as replaced by the summary message `summaryId` (they stay in the database). */
  markCompacted(ids: string[], summaryId: string): void {
    if (ids.length === 0) return;
    guardStorage("compact messages", () => this.db.update(messages).set({ compactedBy: summaryId }).where(inArray(messages.id, ids)).run());
  }

  /** The run with this idempotency key, or undefined. */
  findRunByKey(key: string): RunRow | undefined {
    return this.stmt(`SELECT ${RUN_COLS} FROM "runs" WHERE "idempotency_key" = ?`).get(key) as RunRow | undefined;
  }

  /** A run by id, or undefined. */
  getRun(id: string): RunRow | undefined {
    return this.stmt(`SELECT ${RUN_COLS} FROM "runs" WHERE "id" = ?`).get(id) as RunRow | undefined;
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
    const entries = Object.entries(set).filter(([, v]) => v !== undefined);
    // nothing to set: drizzle's error, as before
    if (entries.length === 0) return void guardStorage("update the run", () => this.db.update(runs).set(set).where(eq(runs.id, id)).run());
    const assignments = entries.map(([k]) => {
      const col = RUN_COLUMN_NAMES.get(k);
      if (!col) throw new TypeError(`unknown run field ${k}`);
      return `"${col}" = ?`;
    });
    const values = entries.map(([, v]) => v as Value);
    guardStorage("update the run", () => this.stmt(`UPDATE "runs" SET ${assignments.join(", ")} WHERE "id" = ?`).run(...values, id));
  }

  /**
   * At start: every run still `queued` or `running` belongs to a daemon that died. Runs with delivery targets
   * (channel messages, scheduled and webhook runs: issue 11) stay `queued` and are returned, oldest first, for the
   * daemon to run again, unless they were already run again `maxResumes` times (a run that keeps taking the daemon
   * down): those end as `error` and are returned as `givenUp`. The others are marked `interrupted` (a client that
   * resends its idempotency key gets it run again, see the runner).
   */
  claimInterruptedRuns(maxResumes = Number.POSITIVE_INFINITY): { interrupted: number; resumable: RunRow[]; givenUp: RunRow[] } {
    return guardStorage("mark interrupted runs", () =>
      this.sqlite.transaction(() => {
        const now = Date.now();
        const open = this.stmt(
          `SELECT ${RUN_COLS} FROM "runs" WHERE "status" IN ('queued', 'running') AND "deliver_to" IS NOT NULL AND "deliver_to" <> '[]' ORDER BY "created_at", "id"`,
        ).all() as RunRow[];
        const resumable: RunRow[] = [];
        const givenUp: RunRow[] = [];
        for (const r of open) {
          if (r.resumes >= maxResumes) {
            const error = `the daemon stopped during this run ${r.resumes + 1} times; it is not run again`;
            this.updateRun(r.id, { status: "error", errorCode: "internal", error, finishedAt: now });
            givenUp.push({ ...r, status: "error", errorCode: "internal", error, finishedAt: now });
          } else {
            this.updateRun(r.id, { status: "queued", resumes: r.resumes + 1 });
            resumable.push({ ...r, status: "queued", resumes: r.resumes + 1 });
          }
        }
        const res = this.db.update(runs).set({ status: "interrupted", finishedAt: now, errorCode: "aborted", error: "the daemon stopped during the run" })
          .where(and(inArray(runs.status, ["queued", "running"]), sql`("deliver_to" IS NULL OR "deliver_to" = '[]')`)).run();
        return { interrupted: res.changes, resumable, givenUp };
      })(),
    );
  }

  /** Records the usage of one model call. */
  recordUsage(u: UsageInsert): void {
    const row = { ...u, purpose: u.purpose ?? "chat", cachedTokens: u.cachedTokens ?? 0, createdAt: Date.now() };
    // id NULL: SQLite assigns the next rowid (INTEGER PRIMARY KEY)
    guardStorage("record usage", () => this.insertRow(usageEvents, row));
  }

  /** Sum of tokens over a run (for `run.done`). */
  runUsage(runId: string): { promptTokens: number; completionTokens: number; cachedTokens: number; costUsd: number | null } {
    const r = this.stmt(
      `SELECT coalesce(sum("prompt_tokens"), 0) AS "promptTokens", coalesce(sum("completion_tokens"), 0) AS "completionTokens", ` +
        `coalesce(sum("cached_tokens"), 0) AS "cachedTokens", sum("cost_usd") AS "costUsd" FROM "usage_events" WHERE "run_id" = ? AND "purpose" = 'chat'`,
    ).get(runId) as { promptTokens: number; completionTokens: number; cachedTokens: number; costUsd: number | null } | undefined;
    return r ?? { promptTokens: 0, completionTokens: 0, cachedTokens: 0, costUsd: null };
  }

  /** The session bound to a chat `(platform, chatId, threadId)`, if any. */
  getBinding(platform: string, chatId: string, threadId = ""): typeof channelBindings.$inferSelect | undefined {
    return this.stmt(`SELECT ${BINDING_COLS} FROM "channel_bindings" WHERE "platform" = ? AND "chat_id" = ? AND "thread_id" = ?`)
      .get(platform, chatId, threadId) as typeof channelBindings.$inferSelect | undefined;
  }

  /** Binds a chat to a session (insert or replace), optionally with a per-chat model override. */
  setBinding(platform: string, chatId: string, threadId: string, sessionId: string, model?: string | null): void {
    guardStorage("bind the chat", () =>
      this.stmt(
        `INSERT INTO "channel_bindings" ("platform", "chat_id", "thread_id", "session_id", "model", "updated_at") VALUES (?, ?, ?, ?, ?, ?) `
        + `ON CONFLICT ("platform", "chat_id", "thread_id") DO UPDATE SET "session_id" = excluded."session_id", "model" = excluded."model", "updated_at" = excluded."updated_at"`,
      ).run(platform, chatId, threadId, sessionId, model ?? null, Date.now()),
    );
  }
}
