import { and, eq, inArray, isNotNull, isNull, or, sql } from "drizzle-orm";
import type Database from "better-sqlite3";
import { p, placeholders, setTo } from "./placeholders.js";
import { builtOnFirstUse } from "./first-use.js";
import type { Db } from "./db.js";
import { sessions, messages, runs, usageEvents, channelBindings } from "./schema.js";

/** A session's message count (user and assistant messages), as a correlated subquery on `"sessions"`. */
export const messageCount = sql<number>`(select count(*) from "messages" m where m."session_id" = "sessions"."id" and m."role" in ('user','assistant'))`;
/** The `sessions` columns of a wire `Session` (its `messageCount` is {@link messageCount}). */
export const SESSION_FIELDS = { id: sessions.id, title: sessions.title, createdAt: sessions.createdAt, updatedAt: sessions.updatedAt };
/**
 * A run still open (`queued` or `running`), written exactly as the partial index `runs_open_idx` (src/store/schema.ts)
 * is, so SQLite uses that index: a bound `IN (?, ?)` would not match it (https://www.sqlite.org/partialindex.html).
 */
export const OPEN_RUN = sql`"status" in ('queued', 'running')`;
/** SQLite's `json_extract` of a path in `messages.channel` (raw `sql`: drizzle has no JSON path operator). */
const channelField = (path: string) => sql`json_extract(${messages.channel}, ${path})`;

/**
 * The store's queries that run per message and per turn, each prepared once on its first use (drizzle's `.prepare()`
 * with placeholders, {@link builtOnFirstUse}); `sqlite` for the one raw statement (`PRAGMA data_version`).
 */
export function prepareQueries(db: Db, sqlite: Database.Database) {
  return builtOnFirstUse({
    /** Changes when another connection commits (https://www.sqlite.org/pragma.html#pragma_data_version). */
    dataVersion: () => sqlite.prepare<[], number>("PRAGMA data_version").pluck(),
    insertSession: () => db.insert(sessions).values(placeholders(sessions)).prepare(),
    insertMessage: () => db.insert(messages).values(placeholders(messages)).prepare(),
    insertRun: () => db.insert(runs).values(placeholders(runs)).prepare(),
    insertUsage: () => db.insert(usageEvents).values(placeholders(usageEvents, ["id"])).prepare(),
    touchSession: () => db.update(sessions).set({ updatedAt: setTo<number>("at") }).where(eq(sessions.id, p("id"))).prepare(),
    session: () => db.select({ ...SESSION_FIELDS, messageCount }).from(sessions).where(eq(sessions.id, p("id"))).prepare(),
    sessionHead: () => db.select({ id: sessions.id, title: sessions.title }).from(sessions).where(eq(sessions.id, p("id"))).prepare(),
    contextMessages: () => db.select().from(messages).where(and(eq(messages.sessionId, p("sessionId")), isNull(messages.compactedBy))).orderBy(messages.id).prepare(),
    message: () => db.select().from(messages).where(eq(messages.id, p("id"))).prepare(),
    runById: () => db.select().from(runs).where(eq(runs.id, p("id"))).prepare(),
    runByKey: () => db.select().from(runs).where(eq(runs.idempotencyKey, p("key"))).prepare(),
    runUsage: () => db.select({
      promptTokens: sql<number>`coalesce(sum(${usageEvents.promptTokens}), 0)`, completionTokens: sql<number>`coalesce(sum(${usageEvents.completionTokens}), 0)`,
      cachedTokens: sql<number>`coalesce(sum(${usageEvents.cachedTokens}), 0)`, costUsd: sql<number | null>`sum(${usageEvents.costUsd})`,
    }).from(usageEvents).where(and(eq(usageEvents.runId, p("runId")), eq(usageEvents.purpose, "chat"))).prepare(),
    binding: () => db.select().from(channelBindings)
      .where(and(eq(channelBindings.platform, p("platform")), eq(channelBindings.chatId, p("chatId")), eq(channelBindings.threadId, p("threadId")))).prepare(),
    setBinding: () => db.insert(channelBindings).values({ platform: p("platform"), chatId: p("chatId"), threadId: p("threadId"), sessionId: p("sessionId"), model: p("model"), updatedAt: p("updatedAt") })
      .onConflictDoUpdate({
        target: [channelBindings.platform, channelBindings.chatId, channelBindings.threadId],
        set: { sessionId: sql`excluded."session_id"`, model: sql`excluded."model"`, updatedAt: sql`excluded."updated_at"` },
      }).prepare(),
    // the sessions a chat wrote in (its user messages carry the channel address), plus its current one
    chatSessions: () => db.select(SESSION_FIELDS).from(sessions)
      .where(or(eq(sessions.id, p("current")), inArray(sessions.id, db.select({ id: messages.sessionId }).from(messages).where(and(
        eq(messages.role, "user"), isNotNull(messages.channel), sql`${channelField("$.platform")} = ${p("platform")}`,
        sql`${channelField("$.chatId")} = ${p("chatId")}`, sql`coalesce(${channelField("$.threadId")}, '') = ${p("threadId")}`)))))
      .orderBy(sessions.createdAt, sessions.id).prepare(),
    firstText: () => db.select({ content: messages.content }).from(messages)
      .where(and(eq(messages.sessionId, p("sessionId")), eq(messages.role, "user"), sql`substr(${messages.content}, 1, 1) <> '/'`)).orderBy(messages.id).limit(1).prepare(),
    activeRuns: () => db.select({ n: sql<number>`count(*)` }).from(runs).where(and(eq(runs.sessionId, p("id")), OPEN_RUN)).prepare(),
    openRunsWithTargets: () => db.select().from(runs)
      .where(and(OPEN_RUN, sql`${runs.deliverTo} IS NOT NULL AND ${runs.deliverTo} <> '[]'`)).orderBy(runs.createdAt, runs.id).prepare(),
  });
}

