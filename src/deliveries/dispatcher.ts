import type { Logger } from "pino";
import type { z } from "zod";
import type { DeliveryOfferPayload } from "../../protocol/deliveries.js";
import type { Store } from "../store/store.js";
import { toWireDelivery, type DeliveryRow } from "../store/delivery-queries.js";
import type { DeliveriesConfig } from "../config/sections/deliveries.js";

/** Receives `delivery.offer` payloads for one subscribed connection. */
export type DeliverySink = (payload: z.output<typeof DeliveryOfferPayload>) => void;

interface Subscriber {
  platform: string;
  sink: DeliverySink;
}

/** Most chat queue heads read per pass; the rest are reached on the next pass (after an ack or the sweep). */
const HEADS_PER_PASS = 1000;
/** Longest interval of the lease/backoff sweep, in ms. */
const MAX_SWEEP_MS = 1000;

/**
 * Offers the outbox's deliveries to subscribed bridges. Only the head of each chat's queue (its oldest open
 * delivery) is ever offered, so a chat gets its messages one at a time and in order; different chats go in
 * parallel. An offer leases the delivery to one subscriber (round robin) for `ackTimeoutMs`; when the lease runs
 * out or the subscriber goes away, the delivery is offered again, and once `maxAttempts` offers went
 * unacknowledged it is failed. Passes run after the current synchronous code (so an enqueue inside a transaction
 * is offered after its commit), on every change and on a sweep timer.
 */
export class Dispatcher {
  private readonly subs = new Map<string, Subscriber[]>();
  private readonly leases = new Map<string, Subscriber>();
  private readonly dirty = new Set<string>();
  private readonly turn = new Map<string, number>();
  private scheduled = false;
  private fresh = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: { store: Store; config: () => DeliveriesConfig; logger: Logger; onFailed: (row: DeliveryRow) => void }) {}

  /** Adds a subscriber until `signal` aborts; returns the platform's open deliveries count. */
  subscribe(platform: string, sink: DeliverySink, signal: AbortSignal): number {
    if (signal.aborted) return 0;
    const sub: Subscriber = { platform, sink };
    const list = this.subs.get(platform) ?? [];
    list.push(sub);
    this.subs.set(platform, list);
    signal.addEventListener("abort", () => this.unsubscribe(sub), { once: true });
    this.kickSoon(platform);
    return this.deps.store.deliveries.openCount(platform);
  }

  /** A delivery left `sending` (acknowledged or failed): its lease is dropped. */
  released(id: string): void {
    this.leases.delete(id);
  }

  /**
   * Schedules a pass over `platform` after the current synchronous code. `fresh`: a delivery was just stored, so
   * the pass first waits until the WAL is on stable storage (`store.durable()`, one group-committed fdatasync): no
   * bridge sees a message a power cut could still take back.
   */
  kickSoon(platform: string, fresh = false): void {
    this.dirty.add(platform);
    this.fresh ||= fresh;
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      const sync = this.fresh ? this.deps.store.durable() : Promise.resolve();
      this.fresh = false;
      void sync.catch((err: unknown) => this.deps.logger.error({ err }, "could not sync the outbox to disk; offering anyway")).then(() => {
        this.scheduled = false;
        const platforms = [...this.dirty];
        this.dirty.clear();
        for (const p of platforms) this.pass(p);
      });
    });
  }

  /** Starts the sweep that re-offers expired leases and delayed retries. */
  start(): void {
    if (this.timer) return;
    const everyMs = Math.max(25, Math.min(MAX_SWEEP_MS, Math.floor(this.deps.config().ackTimeoutMs / 4)));
    this.timer = setInterval(() => {
      for (const p of this.subs.keys()) this.pass(p);
    }, everyMs);
    this.timer.unref();
  }

  /** Stops the sweep and drops every subscriber (leases are left to expire; the next start re-offers them). */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.subs.clear();
    this.leases.clear();
  }

  private unsubscribe(sub: Subscriber): void {
    const list = this.subs.get(sub.platform);
    if (list) {
      const i = list.indexOf(sub);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.subs.delete(sub.platform);
    }
    for (const [id, holder] of this.leases) if (holder === sub) this.leases.delete(id);
    this.kickSoon(sub.platform);
  }

  /** One pass: offers every due queue head of `platform` to a subscriber; never throws. */
  private pass(platform: string): void {
    const list = this.subs.get(platform);
    if (!list?.length) return;
    try {
      const cfg = this.deps.config();
      const q = this.deps.store.deliveries;
      const now = Date.now();
      let again = false;
      for (const head of q.heads(platform, HEADS_PER_PASS)) {
        let row = head;
        if (row.state === "sending") {
          const holder = this.leases.get(row.id);
          if (holder && list.includes(holder) && (row.leaseUntil ?? 0) > now) continue;
          this.leases.delete(row.id);
          const reason = holder ? `not acknowledged within ${cfg.ackTimeoutMs} ms` : "the bridge disconnected before acknowledging it";
          if (row.attempts >= cfg.maxAttempts) {
            if (q.markFailed(row.id, `${reason} (${row.attempts} attempts)`, now)) {
              this.deps.logger.warn({ deliveryId: row.id, platform, attempts: row.attempts }, `a delivery failed: ${reason}`);
              this.deps.onFailed(row);
            }
            again = true; // the chat's next delivery is its head now
            continue;
          }
          if (!q.markPending(row.id, now, reason, now)) continue;
          row = { ...row, state: "pending", nextAttemptAt: now };
        }
        if (row.nextAttemptAt > now) continue;
        this.offer(row, list, cfg.ackTimeoutMs, now);
      }
      if (again) this.kickSoon(platform);
    } catch (err) {
      this.deps.logger.error({ err, platform }, "could not offer deliveries");
    }
  }

  private offer(row: DeliveryRow, list: Subscriber[], ackTimeoutMs: number, now: number): void {
    const n = (this.turn.get(row.platform) ?? 0) % list.length;
    this.turn.set(row.platform, n + 1);
    const sub = list[n]!;
    const leaseUntil = now + ackTimeoutMs;
    if (!this.deps.store.deliveries.markSending(row.id, leaseUntil, now)) return;
    this.leases.set(row.id, sub);
    const offered: DeliveryRow = { ...row, state: "sending", attempts: row.attempts + 1, leaseUntil, updatedAt: now };
    try {
      sub.sink({ delivery: toWireDelivery(offered), ackTimeoutMs });
    } catch (err) {
      this.deps.logger.warn({ err, deliveryId: row.id }, "could not send a delivery offer");
    }
  }
}
