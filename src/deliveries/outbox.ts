import type { Logger } from "pino";
import type { Delivery, DeliveryAddress, DeliveryAttachment, DeliveryButton, DeliveryState } from "../../protocol/deliveries.js";
import { DELIVERY_MAX_ATTACHMENTS, DELIVERY_MAX_CHARS } from "../../protocol/deliveries.js";
import { ConflictError, NotFoundError, ValidationError } from "../errors.js";
import type { Store } from "../store/store.js";
import { toWireDelivery, type DeliveryRow } from "../store/delivery-queries.js";
import { newId } from "../store/ids.js";
import { backoffDelayMs } from "../../protocol/backoff.js";
import type { DeliveriesConfig } from "../config/sections/deliveries.js";
import { Dispatcher, type DeliverySink } from "./dispatcher.js";

/**
 * What {@link Outbox.enqueue} takes: where, what (markdown; may be empty when files are attached), files to send
 * after the text (issue 12; paths already checked to lie in the agent folder), the run it came from, and an
 * optional idempotency key.
 */
export interface EnqueueInput {
  address: DeliveryAddress;
  text: string;
  attachments?: DeliveryAttachment[] | undefined;
  runId?: string | undefined;
  idempotencyKey?: string | undefined;
  /** Buttons under the message (approval prompts); a bridge's button press comes back as a protocol call. */
  buttons?: DeliveryButton[] | undefined;
}

/** How a delivery ended, for metrics: `delivered` with its latency (created → acknowledged, ms), or `failed`. */
export type DeliverySettled = { outcome: "delivered"; platform: string; latencyMs: number } | { outcome: "failed"; platform: string };

/**
 * The daemon's outbox (issue 11): every message for a chat is a durable row in `agentd.db` before any bridge sees
 * it. Bridges subscribe per platform and get the open deliveries offered (one at a time per chat, in order); an
 * ack stores the platform's message ids; an offer not acknowledged within `deliveries.ackTimeoutMs` is offered
 * again; after `deliveries.maxAttempts` offers, or a non-retryable failure, the delivery is `failed` (shown over
 * REST and told to the chat on its next reply). Nothing depends on a bridge's memory.
 */
export class Outbox {
  private readonly dispatcher: Dispatcher;
  private readonly settledListeners = new Set<(s: DeliverySettled) => void>();
  private readonly runFiles = new Map<string, DeliveryAttachment[]>();

  constructor(private readonly deps: { store: Store; config: () => DeliveriesConfig; logger: Logger }) {
    this.dispatcher = new Dispatcher({
      store: deps.store, config: deps.config, logger: deps.logger,
      onFailed: (row) => this.settled({ outcome: "failed", platform: row.platform }),
    });
  }

  /**
   * Stores one delivery (`pending`) and wakes the platform's bridge. With an `idempotencyKey`, a repeat returns the
   * first row unchanged. Inside a `store.transaction` it commits with it (the offer goes out after the
   * current synchronous code). Throws `ValidationError` for an empty text without files, more than
   * {@link DELIVERY_MAX_ATTACHMENTS} files, or a too long text (over
   * {@link DELIVERY_MAX_CHARS}), `StorageError` when the database refuses the write.
   */
  enqueue(input: EnqueueInput): Delivery {
    return this.enqueueOnce(input).delivery;
  }

  /** {@link enqueue}, also saying whether the idempotency key had been used (`duplicate`). */
  enqueueOnce(input: EnqueueInput): { delivery: Delivery; duplicate: boolean } {
    if (input.idempotencyKey) {
      const existing = this.deps.store.deliveries.findByKey(input.idempotencyKey);
      if (existing) return { delivery: toWireDelivery(existing), duplicate: true };
    }
    const attachments = input.attachments ?? [];
    if (!input.text.trim() && attachments.length === 0) throw new ValidationError("text: a delivery needs some text or a file", { path: "text" });
    if (attachments.length > DELIVERY_MAX_ATTACHMENTS) throw new ValidationError(`attachments: at most ${DELIVERY_MAX_ATTACHMENTS} files`, { path: "attachments" });
    if (input.text.length > DELIVERY_MAX_CHARS) throw new ValidationError(`text: longer than ${DELIVERY_MAX_CHARS} characters`, { path: "text" });
    const now = Date.now();
    const row: DeliveryRow = {
      id: newId("d"), platform: input.address.platform, chatId: input.address.chatId, threadId: input.address.threadId ?? "",
      replyTo: input.address.replyTo ?? null, text: input.text, runId: input.runId ?? null, idempotencyKey: input.idempotencyKey ?? null,
      state: "pending", attempts: 0, lastError: null, platformMessageIds: [], attachments, leaseUntil: null, nextAttemptAt: 0, reportedAt: null,
      createdAt: now, updatedAt: now, deliveredAt: null, buttons: input.buttons?.length ? input.buttons : null,
    };
    this.deps.store.deliveries.insert(row);
    this.dispatcher.kickSoon(row.platform, true);
    return { delivery: toWireDelivery(row), duplicate: false };
  }

  /**
   * The text a run's reply to a chat goes out with: when earlier deliveries to that chat failed and the user was
   * not told yet, a short notice comes first (issue 11: "visible to the user on the next turn"), and those
   * failures are marked told. Call inside the transaction that enqueues the reply.
   */
  withFailureNotice(address: DeliveryAddress, text: string): string {
    const failed = this.deps.store.deliveries.unreportedFailures(address.platform, address.chatId, address.threadId ?? "");
    if (failed.length === 0) return text;
    this.deps.store.deliveries.markReported(failed.map((f) => f.id), Date.now());
    const n = failed.length;
    const reason = failed[n - 1]!.lastError ?? "unknown reason";
    const notice = `(${n === 1 ? "An earlier message" : `${n} earlier messages`} could not be delivered here: ${reason.slice(0, 200)}.)`;
    return `${notice}\n\n${text}`;
  }

  /**
   * Notes a file a run sent (`send_file`), for its `run.done` (`attachments`): protocol clients get the files of
   * the reply whether or not the run had a chat to deliver to (issue 12). Kept in memory until the run ends.
   */
  noteRunFile(runId: string, attachment: DeliveryAttachment): void {
    const list = this.runFiles.get(runId) ?? [];
    list.push(attachment);
    this.runFiles.set(runId, list);
  }

  /** The files a run sent, forgotten once taken (at the run's end). */
  takeRunFiles(runId: string): DeliveryAttachment[] {
    const list = this.runFiles.get(runId) ?? [];
    this.runFiles.delete(runId);
    return list;
  }

  /** One delivery by id. Throws {@link NotFoundError}. */
  get(id: string): Delivery {
    return toWireDelivery(this.require(id));
  }

  /** Deliveries, newest first. `since` is an ISO 8601 time (creation time, inclusive). */
  list(f: { state?: DeliveryState | undefined; platform?: string | undefined; since?: string | undefined; limit: number }): Delivery[] {
    const sinceMs = f.since === undefined ? undefined : Date.parse(f.since);
    return this.deps.store.deliveries.list({ state: f.state, platform: f.platform, sinceMs, limit: f.limit }).map(toWireDelivery);
  }

  /**
   * Offers a `failed` delivery again with its attempts reset. A pending or sending one is returned unchanged;
   * a delivered one is a {@link ConflictError}. Throws {@link NotFoundError}.
   */
  retry(id: string): Delivery {
    const row = this.require(id);
    if (row.state === "delivered") throw new ConflictError(`delivery ${id} was already delivered`, { id, state: row.state });
    if (row.state === "failed") {
      this.deps.store.deliveries.retry(id, Date.now());
      this.dispatcher.kickSoon(row.platform);
    }
    return this.get(id);
  }

  /**
   * A bridge's acknowledgement: the platform accepted the delivery with these message ids. `complete: false`
   * records the chunks sent so far (a new offer then lists them, so they are not sent twice) and renews the lease.
   * Repeated and late acks are accepted (a delivery failed for want of an ack becomes delivered). Throws
   * {@link NotFoundError}.
   */
  ack(id: string, platformMessageIds: string[], complete = true): Delivery {
    const row = this.require(id);
    const now = Date.now();
    if (!complete) {
      this.deps.store.deliveries.recordProgress(id, platformMessageIds, now + this.deps.config().ackTimeoutMs, now);
      return this.get(id);
    }
    if (this.deps.store.deliveries.markDelivered(id, platformMessageIds, now)) {
      this.dispatcher.released(id);
      this.settled({ outcome: "delivered", platform: row.platform, latencyMs: now - row.createdAt });
      this.dispatcher.kickSoon(row.platform);
    }
    return this.get(id);
  }

  /**
   * A bridge could not send the delivery. Retryable (default): offered again after a backoff
   * (`retryInitialMs` doubling to `retryMaxMs`) unless the attempts are used up; otherwise `failed` with the
   * reason. A delivered or failed one is returned unchanged. Throws {@link NotFoundError}.
   */
  fail(id: string, reason: string, retryable = true): Delivery {
    const row = this.require(id);
    if (row.state === "delivered" || row.state === "failed") return toWireDelivery(row);
    const cfg = this.deps.config();
    const now = Date.now();
    this.dispatcher.released(id);
    if (!retryable || row.attempts >= cfg.maxAttempts) {
      if (this.deps.store.deliveries.markFailed(id, reason, now)) this.settled({ outcome: "failed", platform: row.platform });
      this.deps.logger.warn({ deliveryId: id, platform: row.platform, attempts: row.attempts, reason }, "a delivery failed");
    } else {
      const delayMs = backoffDelayMs(Math.max(1, row.attempts) - 1, { initialMs: cfg.retryInitialMs, maxMs: cfg.retryMaxMs });
      this.deps.store.deliveries.markPending(id, now + delayMs, reason, now);
    }
    this.dispatcher.kickSoon(row.platform);
    return this.get(id);
  }

  /**
   * Subscribes a bridge connection to `platform`: `sink` receives the open deliveries (oldest first, one at a time
   * per chat) and every new one, until `signal` aborts (the connection closed); deliveries it held are then
   * offered again. Returns the number of open deliveries of the platform.
   */
  subscribe(platform: string, sink: DeliverySink, signal: AbortSignal): number {
    return this.dispatcher.subscribe(platform, sink, signal);
  }

  /** Number of open (pending or sending) deliveries of `platform`. */
  openCount(platform: string): number {
    return this.deps.store.deliveries.openCount(platform);
  }

  /** Counts per state (metrics: pending includes sending). */
  counts(): Record<DeliveryState, number> {
    return this.deps.store.deliveries.counts();
  }

  /** Listens to deliveries reaching `delivered` or `failed`. Returns an unsubscribe function. */
  onSettled(listener: (s: DeliverySettled) => void): () => void {
    this.settledListeners.add(listener);
    return () => this.settledListeners.delete(listener);
  }

  /** At daemon start: offers a previous process made were never acknowledged; they become pending again. */
  recover(): number {
    return this.deps.store.deliveries.resetSending(Date.now());
  }

  /** Starts the lease/backoff sweep (every quarter of `ackTimeoutMs`, at most 1 s). */
  start(): void {
    this.dispatcher.start();
  }

  /** Stops the sweep and forgets the subscribers. */
  stop(): void {
    this.dispatcher.stop();
  }

  private require(id: string): DeliveryRow {
    const row = this.deps.store.deliveries.get(id);
    if (!row) throw new NotFoundError(`no delivery ${id}`, { id });
    return row;
  }

  private settled(s: DeliverySettled): void {
    for (const l of this.settledListeners) {
      try {
        l(s);
      } catch (err) {
        this.deps.logger.error({ err }, "a delivery listener failed");
      }
    }
  }
}
