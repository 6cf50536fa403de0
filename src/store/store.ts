import { and, desc, eq, inArray, lt, sql } from "drizzle-orm";
import { p, setTo } from "./placeholders.js";
import type Database from "better-sqlite3";
import { openDb, guardStorage, type Db } from "./db.js";
import { WalSync } from "./wal-sync.js";
import { sessions, messages, runs, sessionOwners } from "./schema.js";
import { TokenRows } from "./token-rows.js";
import { newId } from "./ids.js";
import { AgentdError, NotFoundError } from "../errors.js";
import { DeliveryQueries } from "./delivery-queries.js";
import type { Attachment, ChannelAddress } from "../../protocol/chat.js";
import type { DeliveryAddress } from "../../protocol/deliveries.js";
import { ApprovalQueries } from "./approval-queries.js";
import type { Session } from "../../protocol/sessions.js";
import { snapshotDatabase, type DbSummary } from "./snapshot.js";
import { ContextCache } from "./context-cache.js";
import { iso, type MessageRow, type RunRow, type UsageInsert, type BindingRow, type ChatKey, type ChatSession } from "./rows.js";
import { messageCount, OPEN_RUN, prepareQueries, SESSION_FIELDS } from "./store-queries.js";
export { rowAttachments, toWireMessage, type BindingRow, type ChatKey, type ChatSession, type MessageRow, type RunRow, type RunStatus, type UsageInsert } from "./rows.js";

/**
 * The agent's SQLite store (`DIR/agentd.db`): sessions, messages, runs, usage and channel bindings.
 * All calls are synchronous (better-sqlite3); writes that belong together run in one transaction, and
 * SQLite busy/full errors surface as `StorageError` with nothing half-written.
 */
export class Store {
  /**
   * The better-sqlite3 connection, for the store's own query modules, tests and benchmarks only: everything else
   * goes through the store's methods and {@link transaction} (issue 18: only src/store holds SQL).
   */
  readonly sqlite: Database.Database;
  readonly db: Db;
  /** The outbox's queries (issue 11). */
  readonly deliveries: DeliveryQueries;
  /** Approvals, grants, the tool audit trail and pairing (issue 13). */
  readonly approvals: ApprovalQueries;
  /** Group commit of the WAL: see {@link durable}. */
  readonly walSync: WalSync;
  /** Named API tokens and session ownership (issue 15). */
  readonly tokens: TokenRows;

  private readonly q: ReturnType<typeof prepareQueries>;
  /** The context rows of the sessions used last, in step with this store's writes (see {@link contextMessages}). */
  private readonly contextCache = new ContextCache();
  /** `PRAGMA data_version` when {@link contextMessages} last looked. */
  private dataVersion: number | undefined;
  /** `UPDATE "runs"` statements by the set of fields they write, prepared on first use. */
  private readonly runUpdates = new Map<string, { run: (values: Record<string, unknown>) => { changes: number } }>();
  private readonly tx: (fn: () => unknown) => unknown;
  private readonly acceptTx: (message: MessageRow, run: RunRow, now: number) => void;
  /** {@link acceptMessage}'s three writes, without a transaction of their own. */
  private readonly acceptWrites = (m: MessageRow, r: RunRow, at: number): void => {
    this.q.insertMessage.run(m);
    this.cacheInserted(m);
    this.q.insertRun.run(r);
    this.q.touchSession.run({ at, id: r.sessionId });
  };

  constructor(file: string) {
    ({ sqlite: this.sqlite, db: this.db } = openDb(file));
    this.walSync = new WalSync(`${file}-wal`);
    this.deliveries = new DeliveryQueries(this.db);
    this.tokens = new TokenRows(this.db);
    this.approvals = new ApprovalQueries(this.db);
    this.q = prepareQueries(this.db, this.sqlite);
    this.tx = this.sqlite.transaction((fn: () => unknown) => fn());
    this.acceptTx = this.sqlite.transaction(this.acceptWrites);
  }

  /**
   * Runs `fn` in one SQLite transaction and returns its result: every store write inside commits together, or none
   * does when `fn` throws (the error is rethrown). Nested calls become savepoints (better-sqlite3). `fn` must be
   * synchronous: an await inside would commit early.
   */
  transaction<T>(fn: () => T): T {
    try {
      return this.tx(fn) as T;
    } catch (err) {
      this.contextCache.clear(); // rolled back: rows appended inside are not in the database
      throw err;
    }
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

  /**
   * Copies the open database to `dest` with SQLite's online backup API while the daemon keeps writing (see
   * `snapshotDatabase` in src/store/snapshot.ts): the copy is one consistent file that passed `PRAGMA quick_check`.
   * Throws `StorageError` when it cannot be made.
   */
  snapshotTo(dest: string): Promise<DbSummary> {
    return snapshotDatabase(this.sqlite.name, dest, this.sqlite);
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
    guardStorage("create a session", () => this.q.insertSession.run(row));
    return { id: row.id, title: row.title, createdAt: iso(now), updatedAt: iso(now), messageCount: 0 };
  }

  /** A session by id, or undefined. */
  getSession(id: string): Session | undefined {
    const r = this.q.session.get({ id });
    return r && { ...r, createdAt: iso(r.createdAt), updatedAt: iso(r.updatedAt) };
  }

  /** A session's id and title, or undefined when there is none: cheaper than {@link getSession} (no message count), for per-turn checks. */
  sessionHead(id: string): { id: string; title: string | null } | undefined {
    return this.q.sessionHead.get({ id });
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
    const rows = this.db.select({ ...SESSION_FIELDS, messageCount }).from(sessions).where(where)
      .orderBy(desc(sessions.updatedAt), desc(sessions.id)).limit(limit).all();
    return rows.map((r) => ({ ...r, createdAt: iso(r.createdAt), updatedAt: iso(r.updatedAt) }));
  }

  /**
   * The sessions of one chat, oldest first: those it has written in (its user messages carry the channel address),
   * and `currentId` (its bound session, which may still be empty after `/new`). Position + 1 is the number
   * `/sessions` shows and `/switch N` takes; it only changes when a session is deleted. Other chats' sessions never
   * appear (a chat cannot read another's history). Scans the messages table (rare commands only; fine up to ~10^5
   * messages).
   */
  chatSessions(chat: ChatKey, currentId?: string): ChatSession[] {
    return this.q.chatSessions.all({ platform: chat.platform, chatId: chat.chatId, threadId: chat.threadId, current: currentId ?? "" });
  }

  /** The text of a session's first user message that is not a command (does not start with `/`), or undefined. */
  firstUserText(sessionId: string): string | undefined {
    return this.q.firstText.get({ sessionId })?.content;
  }

  /**
   * Deletes a session with its messages, runs and channel bindings (foreign keys cascade; usage rows stay, so
   * spend history is kept). Throws {@link NotFoundError} when there is none, a `conflict` AgentdError while one of
   * its runs is queued or running (stop it first: a run must never write into a deleted session).
   */
  deleteSession(id: string): void {
    this.requireSession(id);
    if ((this.q.activeRuns.get({ id })?.n ?? 0) > 0) throw new AgentdError("conflict", `session ${id} has a reply in progress: stop it first`, { details: { sessionId: id } });
    guardStorage("delete a session", () => this.db.delete(sessions).where(eq(sessions.id, id)).run());
    this.contextCache.drop(id);
  }

  /** Sets a session's title. */
  setTitle(sessionId: string, title: string): void {
    guardStorage("set a title", () => this.db.update(sessions).set({ title }).where(eq(sessions.id, sessionId)).run());
  }

  /**
   * Accepts a user message: in one transaction, stores the message and a queued run (unique idempotency key)
   * and touches the session. It survives a crash of the process once this returns, and a power cut once
   * {@link durable} resolves: `chat.send` awaits both before it answers. `deliverTo`: the run's delivery targets
   * (none: stored as NULL). Called inside a {@link transaction}, its writes are part of that one (no savepoint).
   */
  acceptMessage(input: {
    sessionId: string; content: string; idempotencyKey: string; channel?: ChannelAddress; attachments?: Attachment[] | undefined;
    deliverTo?: DeliveryAddress[] | null; silentReply?: string | null;
  }): { run: RunRow; message: MessageRow } {
    const now = Date.now();
    const message: MessageRow = {
      id: newId("m"), sessionId: input.sessionId, runId: null, role: "user", content: input.content, toolCalls: null,
      toolCallId: null, status: "ok", error: null, model: null, channel: input.channel ?? null,
      attachments: input.attachments?.length ? input.attachments : null, compactedBy: null, createdAt: now,
    };
    const run: RunRow = {
      id: newId("r"), sessionId: input.sessionId, idempotencyKey: input.idempotencyKey, status: "queued", model: null,
      userMessageId: message.id, assistantMessageId: null, errorCode: null, error: null, createdAt: now, startedAt: null, finishedAt: null,
      deliverTo: input.deliverTo?.length ? input.deliverTo : null, silentReply: input.silentReply ?? null, resumes: 0,
    };
    message.runId = run.id;
    // inside a caller's transaction (chat.send's) the writes are part of it: no savepoint of their own (two statements
    // fewer per turn, issue 20); a failure rolls the caller's transaction back with them
    guardStorage("store the message", () => {
      if (this.sqlite.inTransaction) return this.acceptWrites(message, run, now);
      try {
        this.acceptTx(message, run, now);
      } catch (err) {
        this.contextCache.clear(); // rolled back
        throw err;
      }
    });
    return { run, message };
  }

  /** Appends an assistant, tool or summary message. */
  insertMessage(input: Omit<MessageRow, "id" | "createdAt" | "compactedBy" | "channel" | "attachments" | "toolCallId" | "toolCalls" | "error" | "model" | "runId"> & Partial<MessageRow>): MessageRow {
    const row: MessageRow = {
      runId: null, toolCalls: null, toolCallId: null, error: null, model: null, channel: null, attachments: null, compactedBy: null,
      ...input, id: newId("m"), createdAt: Date.now(),
    };
    guardStorage("store a message", () => this.q.insertMessage.run(row));
    this.cacheInserted(row);
    return row;
  }

  /**
   * Creates a session holding `history` (user and assistant messages, in order) in one transaction: a
   * conversation a client sent whole (the OpenAI-compatible endpoint's stateless mode).
   */
  createSessionWithHistory(history: ReadonlyArray<{ role: "user" | "assistant"; content: string }>): Session {
    return guardStorage("store the conversation", () => this.transaction(() => {
      const session = this.createSession();
      for (const m of history) this.insertMessage({ sessionId: session.id, role: m.role, content: m.content, status: "ok" });
      return session;
    }));
  }

  /** The newest `limit` messages of a session (or those before `beforeId`), oldest first. */
  history(sessionId: string, limit: number, beforeId?: string): MessageRow[] {
    const where = beforeId ? and(eq(messages.sessionId, sessionId), lt(messages.id, beforeId)) : eq(messages.sessionId, sessionId);
    return this.db.select().from(messages).where(where).orderBy(desc(messages.id)).limit(limit).all().reverse();
  }

  /**
   * Messages still in the model's context (not replaced by a summary), oldest first. Served from memory for the
   * sessions used last ({@link ContextCache}, kept in step with this store's writes; rows are frozen): a turn does
   * not read them back from SQLite.
   */
  contextMessages(sessionId: string): MessageRow[] {
    // another connection's commit (SQLite's data_version moved) may have changed any session: read everything anew
    const version = this.q.dataVersion.get()!;
    if (version !== this.dataVersion) {
      this.dataVersion = version;
      this.contextCache.clear();
    }
    const cached = this.contextCache.get(sessionId);
    if (cached) return cached;
    const rows = this.q.contextMessages.all({ sessionId });
    this.contextCache.set(sessionId, rows);
    return rows;
  }

  /** Forgets the context rows held in memory (see {@link contextMessages}); the daemon calls it when it goes idle. */
  forgetCachedContexts(): void {
    this.contextCache.clear();
  }

  /**
   * Keeps {@link contextCache} in step with a message row just written (only for a session it holds), with exactly
   * what a read returns: the table's columns, undefined stored as NULL, and each JSON value through its column's own
   * write and read mapping (stringified, then parsed and validated by the column's schema), without reading it back.
   */
  private cacheInserted(row: MessageRow): void {
    // a row written already out of the context (compacted_by set) is not in it
    if (row.compactedBy != null || !this.contextCache.has(row.sessionId)) return;
    const json = <K extends "toolCalls" | "channel" | "attachments">(key: K): MessageRow[K] =>
      (row[key] == null ? null : messages[key].mapFromDriverValue(messages[key].mapToDriverValue(row[key] as never))) as MessageRow[K];
    this.contextCache.append({
      id: row.id, sessionId: row.sessionId, runId: row.runId ?? null, role: row.role, content: row.content, toolCalls: json("toolCalls"),
      toolCallId: row.toolCallId ?? null, status: row.status, error: row.error ?? null, model: row.model ?? null, channel: json("channel"),
      attachments: json("attachments"), compactedBy: null, createdAt: row.createdAt,
    });
  }

  /** Marks messages as replaced by the summary message `summaryId` (they stay in the database). */
  markCompacted(ids: string[], summaryId: string): void {
    if (ids.length === 0) return;
    guardStorage("compact messages", () => this.db.update(messages).set({ compactedBy: summaryId }).where(inArray(messages.id, ids)).run());
    this.contextCache.remove(new Set(ids));
  }

  /** The run with this idempotency key, or undefined. */
  findRunByKey(key: string): RunRow | undefined {
    return this.q.runByKey.get({ key });
  }

  /** A run by id, or undefined. */
  getRun(id: string): RunRow | undefined {
    return this.q.runById.get({ id });
  }

  /** The text a run showed: its assistant messages' texts in order, joined by a blank line (as streamed). */
  runText(runId: string): string {
    return this.db.select({ content: messages.content }).from(messages)
      .where(and(eq(messages.runId, runId), eq(messages.role, "assistant"))).orderBy(messages.id).all()
      .map((m) => m.content).filter(Boolean).join("\n\n");
  }

  /** A message by id, or undefined. */
  getMessage(id: string): MessageRow | undefined {
    return this.q.message.get({ id });
  }

  /** Updates a run's status and fields (undefined ones are left as they are). */
  updateRun(id: string, set: Partial<Omit<RunRow, "id">>): void {
    const fields = Object.keys(set).filter((k) => set[k as keyof typeof set] !== undefined).sort();
    // nothing to set: drizzle's error, as before
    if (fields.length === 0) return void guardStorage("update the run", () => this.db.update(runs).set(set).where(eq(runs.id, id)).run());
    const key = fields.join(",");
    let stmt = this.runUpdates.get(key);
    if (!stmt) {
      stmt = this.db.update(runs).set(Object.fromEntries(fields.map((f) => [f, setTo(f)]))).where(eq(runs.id, p("$id"))).prepare();
      this.runUpdates.set(key, stmt);
    }
    const update = stmt;
    guardStorage("update the run", () => update.run({ ...set, $id: id }));
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
      this.transaction(() => {
        const now = Date.now();
        const resumable: RunRow[] = [];
        const givenUp: RunRow[] = [];
        for (const r of this.q.openRunsWithTargets.all()) {
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
          .where(and(OPEN_RUN, sql`(${runs.deliverTo} IS NULL OR ${runs.deliverTo} = '[]')`)).run();
        return { interrupted: res.changes, resumable, givenUp };
      }),
    );
  }

  /** Records the usage of one model call. */
  recordUsage(u: UsageInsert): void {
    const row = { ...u, purpose: u.purpose ?? "chat", cachedTokens: u.cachedTokens ?? 0, costUsd: u.costUsd ?? null, createdAt: Date.now() };
    // no id: SQLite assigns the next rowid (INTEGER PRIMARY KEY)
    guardStorage("record usage", () => this.q.insertUsage.run(row));
  }

  /** Sum of tokens over a run (for `run.done`). */
  runUsage(runId: string): { promptTokens: number; completionTokens: number; cachedTokens: number; costUsd: number | null } {
    return this.q.runUsage.get({ runId }) ?? { promptTokens: 0, completionTokens: 0, cachedTokens: 0, costUsd: null };
  }

  /** The session bound to a chat `(platform, chatId, threadId)`, if any. */
  getBinding(platform: string, chatId: string, threadId = ""): BindingRow | undefined {
    return this.q.binding.get({ platform, chatId, threadId });
  }

  /** Binds a chat to a session (insert or replace), optionally with a per-chat model override. */
  setBinding(platform: string, chatId: string, threadId: string, sessionId: string, model?: string | null): void {
    guardStorage("bind the chat", () => this.q.setBinding.run({ platform, chatId, threadId, sessionId, model: model ?? null, updatedAt: Date.now() }));
  }
}
