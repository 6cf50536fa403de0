import { getTableColumns } from "drizzle-orm";
import type Database from "better-sqlite3";
import { deliveries } from "./schema.js";
import { guardStorage } from "./db.js";
import { z } from "zod";
import { DeliveryAttachment, type Delivery, type DeliveryButton, type DeliveryState } from "../../protocol/deliveries.js";

/** A stored delivery row as drizzle returns it (camelCase properties). */
export type DeliveryRow = typeof deliveries.$inferSelect;

const COLS = Object.entries(getTableColumns(deliveries)).map(([prop, c]) => `"${c.name}" AS "${prop}"`).join(", ");
const PROPS = Object.entries(getTableColumns(deliveries)).map(([prop, c]) => [prop, c.name] as const);
const OPEN = `"state" IN ('pending', 'sending')`;
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
    platformMessageIds: JSON.parse(r.platformMessageIds) as string[],
    attachments: z.array(DeliveryAttachment).catch([]).parse(JSON.parse(r.attachments)),
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
    deliveredAt: r.deliveredAt === null ? null : iso(r.deliveredAt),
    ...(r.buttons ? { buttons: JSON.parse(r.buttons) as DeliveryButton[] } : {}),
  };
}

/**
 * The outbox's SQL (issue 11): the `deliveries` table. Every call is one statement (atomic) and synchronous;
 * called inside a `Store.transaction` it joins that transaction (a run's end and its deliveries commit together).
 * State changes are guarded by the current state in the WHERE clause, so a late ack never reopens a row.
 * Storage failures surface as `StorageError`.
 */
export class DeliveryQueries {
  private readonly cache = new Map<string, Database.Statement>();

  constructor(private readonly sqlite: Database.Database) {}

  private stmt(text: string): Database.Statement {
    let s = this.cache.get(text);
    if (!s) {
      s = this.sqlite.prepare(text);
      this.cache.set(text, s);
    }
    return s;
  }

  /** Inserts a new row (every column). */
  insert(row: DeliveryRow): void {
    const names = PROPS.map(([, c]) => `"${c}"`).join(", ");
    const marks = PROPS.map(() => "?").join(", ");
    guardStorage("store the delivery", () =>
      this.stmt(`INSERT INTO "deliveries" (${names}) VALUES (${marks})`).run(...PROPS.map(([p]) => row[p as keyof DeliveryRow] ?? null)),
    );
  }

  /** A delivery by id, or undefined. */
  get(id: string): DeliveryRow | undefined {
    return this.stmt(`SELECT ${COLS} FROM "deliveries" WHERE "id" = ?`).get(id) as DeliveryRow | undefined;
  }

  /** The delivery with this idempotency key, or undefined. */
  findByKey(key: string): DeliveryRow | undefined {
    return this.stmt(`SELECT ${COLS} FROM "deliveries" WHERE "idempotency_key" = ?`).get(key) as DeliveryRow | undefined;
  }

  /** Deliveries, newest first, optionally filtered by state, platform and `createdAt >= sinceMs`. */
  list(f: { state?: DeliveryState | undefined; platform?: string | undefined; sinceMs?: number | undefined; limit: number }): DeliveryRow[] {
    const where: string[] = [];
    const args: Array<string | number> = [];
    if (f.state) (where.push(`"state" = ?`), args.push(f.state));
    if (f.platform) (where.push(`"platform" = ?`), args.push(f.platform));
    if (f.sinceMs !== undefined) (where.push(`"created_at" >= ?`), args.push(f.sinceMs));
    const sql = `SELECT ${COLS} FROM "deliveries"${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY "id" DESC LIMIT ?`;
    return this.stmt(sql).all(...args, f.limit) as DeliveryRow[];
  }

  /**
   * The head of each chat's queue on `platform`: the oldest open (pending or sending) delivery of every chat,
   * oldest first, at most `limit`. Only a head may be offered, so a chat receives its messages in order.
   */
  heads(platform: string, limit: number): DeliveryRow[] {
    return this.stmt(
      `SELECT ${COLS} FROM "deliveries" d WHERE "platform" = ? AND ${OPEN} AND NOT EXISTS (` +
        `SELECT 1 FROM "deliveries" e WHERE e."platform" = d."platform" AND e."chat_id" = d."chat_id" AND e."thread_id" = d."thread_id" ` +
        `AND e."state" IN ('pending', 'sending') AND e."id" < d."id") ORDER BY "id" LIMIT ?`,
    ).all(platform, limit) as DeliveryRow[];
  }

  /** Number of open (pending or sending) deliveries of `platform`. */
  openCount(platform: string): number {
    return (this.stmt(`SELECT count(*) AS "n" FROM "deliveries" WHERE "platform" = ? AND ${OPEN}`).get(platform) as { n: number }).n;
  }

  /** Platforms that have open deliveries. */
  openPlatforms(): string[] {
    return (this.stmt(`SELECT DISTINCT "platform" FROM "deliveries" WHERE ${OPEN}`).all() as Array<{ platform: string }>).map((r) => r.platform);
  }

  /** pending → sending: one more attempt, leased until `leaseUntil`. Returns false when it was not pending. */
  markSending(id: string, leaseUntil: number, now: number): boolean {
    return guardStorage("offer the delivery", () =>
      this.stmt(`UPDATE "deliveries" SET "state" = 'sending', "attempts" = "attempts" + 1, "lease_until" = ?, "updated_at" = ? WHERE "id" = ? AND "state" = 'pending'`)
        .run(leaseUntil, now, id).changes === 1,
    );
  }

  /** Records the platform ids of the chunks sent so far (still sending) and extends the lease. */
  recordProgress(id: string, platformMessageIds: string[], leaseUntil: number, now: number): boolean {
    return guardStorage("record the delivery's progress", () =>
      this.stmt(`UPDATE "deliveries" SET "platform_message_ids" = ?, "lease_until" = ?, "updated_at" = ? WHERE "id" = ? AND ${OPEN}`)
        .run(JSON.stringify(platformMessageIds), leaseUntil, now, id).changes === 1,
    );
  }

  /** Any state but delivered → delivered with the platform's ids (a late ack after a failure is the truth). */
  markDelivered(id: string, platformMessageIds: string[], now: number): boolean {
    return guardStorage("acknowledge the delivery", () =>
      this.stmt(`UPDATE "deliveries" SET "state" = 'delivered', "platform_message_ids" = ?, "lease_until" = NULL, "delivered_at" = ?, "updated_at" = ? WHERE "id" = ? AND "state" <> 'delivered'`)
        .run(JSON.stringify(platformMessageIds), now, now, id).changes === 1,
    );
  }

  /** sending (or pending) → pending, not offered before `nextAttemptAt`, with the reason of the last attempt. */
  markPending(id: string, nextAttemptAt: number, lastError: string | null, now: number): boolean {
    return guardStorage("requeue the delivery", () =>
      this.stmt(`UPDATE "deliveries" SET "state" = 'pending', "lease_until" = NULL, "next_attempt_at" = ?, "last_error" = coalesce(?, "last_error"), "updated_at" = ? WHERE "id" = ? AND ${OPEN}`)
        .run(nextAttemptAt, lastError, now, id).changes === 1,
    );
  }

  /** An open delivery → failed with `lastError`. */
  markFailed(id: string, lastError: string, now: number): boolean {
    return guardStorage("fail the delivery", () =>
      this.stmt(`UPDATE "deliveries" SET "state" = 'failed', "lease_until" = NULL, "last_error" = ?, "updated_at" = ? WHERE "id" = ? AND ${OPEN}`)
        .run(lastError, now, id).changes === 1,
    );
  }

  /** failed → pending with its attempts reset (a retry asked for by a person). */
  retry(id: string, now: number): boolean {
    return guardStorage("retry the delivery", () =>
      this.stmt(`UPDATE "deliveries" SET "state" = 'pending', "attempts" = 0, "next_attempt_at" = 0, "reported_at" = NULL, "updated_at" = ? WHERE "id" = ? AND "state" = 'failed'`)
        .run(now, id).changes === 1,
    );
  }

  /** At start: offers of the previous process were never acknowledged: every `sending` row goes back to pending. */
  resetSending(now: number): number {
    return guardStorage("requeue unacknowledged deliveries", () =>
      this.stmt(`UPDATE "deliveries" SET "state" = 'pending', "lease_until" = NULL, "updated_at" = ? WHERE "state" = 'sending'`).run(now).changes,
    );
  }

  /** Number of deliveries per state. */
  counts(): Record<DeliveryState, number> {
    const out: Record<DeliveryState, number> = { pending: 0, sending: 0, delivered: 0, failed: 0 };
    for (const r of this.stmt(`SELECT "state", count(*) AS "n" FROM "deliveries" GROUP BY "state"`).all() as Array<{ state: DeliveryState; n: number }>) out[r.state] = r.n;
    return out;
  }

  /** Failed deliveries of a chat not yet told to the user, oldest first. */
  unreportedFailures(platform: string, chatId: string, threadId: string): DeliveryRow[] {
    return this.stmt(
      `SELECT ${COLS} FROM "deliveries" WHERE "platform" = ? AND "chat_id" = ? AND "thread_id" = ? AND "state" = 'failed' AND "reported_at" IS NULL ORDER BY "id" LIMIT 20`,
    ).all(platform, chatId, threadId) as DeliveryRow[];
  }

  /** Marks failed deliveries as told to the user. */
  markReported(ids: string[], now: number): void {
    const s = this.stmt(`UPDATE "deliveries" SET "reported_at" = ? WHERE "id" = ?`);
    guardStorage("mark failures reported", () => {
      for (const id of ids) s.run(now, id);
    });
  }
}
