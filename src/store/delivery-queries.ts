import { and, asc, count, desc, eq, gte, inArray, isNull, lt, notExists, sql } from "drizzle-orm";
import { p, placeholders, setTo } from "./placeholders.js";
import { builtOnFirstUse } from "./first-use.js";
import { alias } from "drizzle-orm/sqlite-core";
import type { Db } from "./db.js";
import { deliveries } from "./schema.js";
import { guardStorage } from "./db.js";
import type { Delivery, DeliveryState } from "../../protocol/deliveries.js";

/** A stored delivery row as drizzle returns it (camelCase properties, JSON columns parsed and validated). */
export type DeliveryRow = typeof deliveries.$inferSelect;

const OPEN = inArray(deliveries.state, ["pending", "sending"]);
const iso = (ms: number) => new Date(ms).toISOString();

/** Converts a stored row into the wire {@link Delivery} shape. */
export function toWireDelivery(r: DeliveryRow): Delivery {
  return {
    id: r.id,
    address: { platform: r.platform, chatId: r.chatId, ...(r.threadId ? { threadId: r.threadId } : {}), ...(r.replyTo ? { replyTo: r.replyTo } : {}) },
    text: r.text,
    runId: r.runId,
    idempotencyKey: r.idempotencyKey,
    state: r.state,
    attempts: r.attempts,
    lastError: r.lastError,
    platformMessageIds: r.platformMessageIds,
    attachments: r.attachments,
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
    deliveredAt: r.deliveredAt === null ? null : iso(r.deliveredAt),
    ...(r.buttons ? { buttons: r.buttons } : {}),
  };
}

/** The outbox's queries, each prepared once on its first use (drizzle's `.prepare()` with placeholders, {@link builtOnFirstUse}). */
function prepare(db: Db) {
  const byId = eq(deliveries.id, p("id"));
  const later = alias(deliveries, "e");
  return builtOnFirstUse({
    insert: () => db.insert(deliveries).values(placeholders(deliveries)).prepare(),
    get: () => db.select().from(deliveries).where(byId).prepare(),
    byKey: () => db.select().from(deliveries).where(eq(deliveries.idempotencyKey, p("key"))).prepare(),
    heads: () => db.select().from(deliveries).where(and(eq(deliveries.platform, p("platform")), OPEN, notExists(
      db.select({ one: sql`1` }).from(later).where(and(eq(later.platform, deliveries.platform), eq(later.chatId, deliveries.chatId),
        eq(later.threadId, deliveries.threadId), inArray(later.state, ["pending", "sending"]), lt(later.id, deliveries.id))),
    ))).orderBy(asc(deliveries.id)).limit(p("limit")).prepare(),
    openCount: () => db.select({ n: count() }).from(deliveries).where(and(eq(deliveries.platform, p("platform")), OPEN)).prepare(),
    openPlatforms: () => db.selectDistinct({ platform: deliveries.platform }).from(deliveries).where(OPEN).prepare(),
    markSending: () => db.update(deliveries).set({ state: "sending", attempts: sql`${deliveries.attempts} + 1`, leaseUntil: setTo<number>("leaseUntil"), updatedAt: setTo<number>("now") })
      .where(and(byId, eq(deliveries.state, "pending"))).prepare(),
    recordProgress: () => db.update(deliveries).set({ platformMessageIds: setTo<string[]>("ids"), leaseUntil: setTo<number>("leaseUntil"), updatedAt: setTo<number>("now") })
      .where(and(byId, OPEN)).prepare(),
    markDelivered: () => db.update(deliveries).set({ state: "delivered", platformMessageIds: setTo<string[]>("ids"), leaseUntil: null, deliveredAt: setTo<number>("now"), updatedAt: setTo<number>("now") })
      .where(and(byId, sql`${deliveries.state} <> 'delivered'`)).prepare(),
    markPending: () => db.update(deliveries).set({
      state: "pending", leaseUntil: null, nextAttemptAt: setTo<number>("nextAttemptAt"), lastError: sql`coalesce(${p("lastError")}, ${deliveries.lastError})`, updatedAt: setTo<number>("now"),
    }).where(and(byId, OPEN)).prepare(),
    markFailed: () => db.update(deliveries).set({ state: "failed", leaseUntil: null, lastError: setTo<string>("lastError"), updatedAt: setTo<number>("now") }).where(and(byId, OPEN)).prepare(),
    retry: () => db.update(deliveries).set({ state: "pending", attempts: 0, nextAttemptAt: 0, reportedAt: null, updatedAt: setTo<number>("now") })
      .where(and(byId, eq(deliveries.state, "failed"))).prepare(),
    resetSending: () => db.update(deliveries).set({ state: "pending", leaseUntil: null, updatedAt: setTo<number>("now") }).where(eq(deliveries.state, "sending")).prepare(),
    counts: () => db.select({ state: deliveries.state, n: count() }).from(deliveries).groupBy(deliveries.state).prepare(),
    unreported: () => db.select().from(deliveries).where(and(eq(deliveries.platform, p("platform")), eq(deliveries.chatId, p("chatId")), eq(deliveries.threadId, p("threadId")),
      eq(deliveries.state, "failed"), isNull(deliveries.reportedAt))).orderBy(asc(deliveries.id)).limit(20).prepare(),
    markReported: () => db.update(deliveries).set({ reportedAt: setTo<number>("now") }).where(byId).prepare(),
  });
}

/**
 * The outbox's SQL (issue 11): the `deliveries` table. Every call is one statement (atomic) and synchronous;
 * called inside a `Store.transaction` it joins that transaction (a run's end and its deliveries commit together).
 * State changes are guarded by the current state in the WHERE clause, so a late ack never reopens a row.
 * Storage failures surface as `StorageError`.
 */
export class DeliveryQueries {
  private readonly q: ReturnType<typeof prepare>;

  constructor(private readonly db: Db) {
    this.q = prepare(db);
  }

  /** Inserts a new row (every column). */
  insert(row: DeliveryRow): void {
    guardStorage("store the delivery", () => this.q.insert.run(row));
  }

  /** A delivery by id, or undefined. */
  get(id: string): DeliveryRow | undefined {
    return this.q.get.get({ id });
  }

  /** The delivery with this idempotency key, or undefined. */
  findByKey(key: string): DeliveryRow | undefined {
    return this.q.byKey.get({ key });
  }

  /** Deliveries, newest first, optionally filtered by state, platform and `createdAt >= sinceMs`. */
  list(f: { state?: DeliveryState | undefined; platform?: string | undefined; sinceMs?: number | undefined; limit: number }): DeliveryRow[] {
    const where = and(
      f.state ? eq(deliveries.state, f.state) : undefined, f.platform ? eq(deliveries.platform, f.platform) : undefined,
      f.sinceMs !== undefined ? gte(deliveries.createdAt, f.sinceMs) : undefined,
    );
    return this.db.select().from(deliveries).where(where).orderBy(desc(deliveries.id)).limit(f.limit).all();
  }

  /**
   * The head of each chat's queue on `platform`: the oldest open (pending or sending) delivery of every chat,
   * oldest first, at most `limit`. Only a head may be offered, so a chat receives its messages in order.
   */
  heads(platform: string, limit: number): DeliveryRow[] {
    return this.q.heads.all({ platform, limit });
  }

  /** Number of open (pending or sending) deliveries of `platform`. */
  openCount(platform: string): number {
    return this.q.openCount.get({ platform })?.n ?? 0;
  }

  /** Platforms that have open deliveries. */
  openPlatforms(): string[] {
    return this.q.openPlatforms.all().map((r) => r.platform);
  }

  /** pending → sending: one more attempt, leased until `leaseUntil`. Returns false when it was not pending. */
  markSending(id: string, leaseUntil: number, now: number): boolean {
    return guardStorage("offer the delivery", () => this.q.markSending.run({ id, leaseUntil, now }).changes === 1);
  }

  /** Records the platform ids of the chunks sent so far (still sending) and extends the lease. */
  recordProgress(id: string, platformMessageIds: string[], leaseUntil: number, now: number): boolean {
    return guardStorage("record the delivery's progress", () => this.q.recordProgress.run({ id, ids: platformMessageIds, leaseUntil, now }).changes === 1);
  }

  /** Any state but delivered → delivered with the platform's ids (a late ack after a failure is the truth). */
  markDelivered(id: string, platformMessageIds: string[], now: number): boolean {
    return guardStorage("acknowledge the delivery", () => this.q.markDelivered.run({ id, ids: platformMessageIds, now }).changes === 1);
  }

  /** sending (or pending) → pending, not offered before `nextAttemptAt`, with the reason of the last attempt. */
  markPending(id: string, nextAttemptAt: number, lastError: string | null, now: number): boolean {
    return guardStorage("requeue the delivery", () => this.q.markPending.run({ id, nextAttemptAt, lastError, now }).changes === 1);
  }

  /** An open delivery → failed with `lastError`. */
  markFailed(id: string, lastError: string, now: number): boolean {
    return guardStorage("fail the delivery", () => this.q.markFailed.run({ id, lastError, now }).changes === 1);
  }

  /** failed → pending with its attempts reset (a retry asked for by a person). */
  retry(id: string, now: number): boolean {
    return guardStorage("retry the delivery", () => this.q.retry.run({ id, now }).changes === 1);
  }

  /** At start: offers of the previous process were never acknowledged: every `sending` row goes back to pending. */
  resetSending(now: number): number {
    return guardStorage("requeue unacknowledged deliveries", () => this.q.resetSending.run({ now }).changes);
  }

  /** Number of deliveries per state. */
  counts(): Record<DeliveryState, number> {
    const out: Record<DeliveryState, number> = { pending: 0, sending: 0, delivered: 0, failed: 0 };
    for (const r of this.q.counts.all()) out[r.state] = r.n;
    return out;
  }

  /** Failed deliveries of a chat not yet told to the user, oldest first. */
  unreportedFailures(platform: string, chatId: string, threadId: string): DeliveryRow[] {
    return this.q.unreported.all({ platform, chatId, threadId });
  }

  /** Marks failed deliveries as told to the user. */
  markReported(ids: string[], now: number): void {
    guardStorage("mark failures reported", () => {
      for (const id of ids) this.q.markReported.run({ id, now });
    });
  }
}
