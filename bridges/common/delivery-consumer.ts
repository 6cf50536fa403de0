import { ProtocolError, type AgentdClient } from "../../protocol/client.js";
import { DeliveryOfferPayload, type Delivery, type DeliveryAddress, type DeliveryAttachment, type DeliveryButton } from "../../protocol/deliveries.js";
import { sleep } from "../../protocol/backoff.js";
import { fetchBytes } from "./download.js";
import type { BridgeLogger } from "./bridge-logger.js";
import { isRunReply, type LiveReplies } from "./live-reply.js";

/**
 * What a platform plugs into the {@link DeliveryConsumer}: formatting/splitting and sending one delivery.
 * A new bridge (Slack, say) implements this and nothing else to receive the outbox.
 */
export interface DeliveryAdapter {
  platform: string;
  /** Markdown → the platform's formatted chunks, each under its limit (deterministic: a resend splits alike). */
  format(markdown: string): string[];
  /**
   * Sends `chunks` in order to `address` (the first one as a reply to `address.replyTo` when set) and resolves with
   * the platform's message id of each chunk. `onSent(id)` must be called right after each chunk's send call
   * returns (the consumer acknowledges at once: the duplicate window is what lies between). Rejects with the
   * platform's error; the chunks sent before it were reported through `onSent`. `extras.buttons` (approval
   * prompts) go under the last chunk where the platform has buttons; a pressed button's `data` comes back to the
   * bridge, which answers it over the protocol (`approvals.decide`).
   */
  sendDelivery(address: DeliveryAddress, chunks: string[], onSent: (platformMessageId: string) => void, extras?: { buttons?: DeliveryButton[] | undefined }): Promise<string[]>;
  /**
   * Sends one file (issue 12) with the platform's native kind (photo, voice note, document...) and resolves with
   * its message id. Without it, a file is announced by a text line instead.
   */
  sendAttachment?(address: DeliveryAddress, attachment: DeliveryAttachment, bytes: Uint8Array<ArrayBuffer>): Promise<string>;
  /** Largest file of this kind the platform takes from a bot, in bytes (e.g. Telegram's 50 MB). Default: no limit. */
  maxAttachmentBytes?(attachment: DeliveryAttachment): number;
  /** Whether an error means the platform will never take this delivery (blocked, chat gone): failed without retry. Default: never. */
  isPermanent?(err: unknown): boolean;
}

/** Acks kept after they went out (a re-offer of one of them is acknowledged again, not sent again). */
const REMEMBERED_ACKS = 1000;
/** Most attempts to get one acknowledgement to the daemon (it waits through reconnects). */
const ACK_ATTEMPTS = 30;

/**
 * The bridge side of the outbox (issue 11): subscribes to the platform's deliveries on every (re)connection,
 * sends each offered delivery through the adapter, and acknowledges it with the platform's message ids right after
 * the send call returns: one `complete: false` ack per chunk of a long reply (so a resend skips what went out), the
 * final ack after the last chunk. A platform error becomes `deliveries.fail` (retryable unless the adapter says it
 * is permanent). An offer of a delivery this process is still sending is ignored; one it already acknowledged is
 * acknowledged again. Nothing is kept that the daemon does not also have: a restarted bridge just subscribes.
 * With `drafts` (live replies), a run's reply ({@link isRunReply}) offered for the first time takes over the run's
 * draft: the draft is edited into the reply's first chunk (acknowledged as that chunk's message), the other chunks
 * go as new messages; when the edit fails, or the reply has no text (a voice note), the draft is deleted.
 */
export class DeliveryConsumer {
  private readonly sending = new Map<string, Promise<void>>();
  private readonly acked = new Map<string, string[]>();
  private stopped = false;
  private offs: Array<() => void> = [];

  /**
   * `fetchAttachment` (tests) replaces the default fetch of a delivery's file from the daemon:
   * `GET /api/deliveries/{id}/attachments/{index}` with the bearer token, on the endpoint from
   * `client.verifiedEndpoint()` (only a server that proved it holds the token gets it).
   */
  constructor(private readonly opts: {
    client: AgentdClient; adapter: DeliveryAdapter; logger: BridgeLogger;
    /** Drafts of live replies (see {@link LiveReplies}); without it every reply goes as new messages. */
    drafts?: LiveReplies | undefined;
    fetchAttachment?: (deliveryId: string, index: number, maxBytes: number) => Promise<Uint8Array<ArrayBuffer>>;
  }) {}

  /** Subscribes now and after every reconnect. */
  start(): void {
    const { client } = this.opts;
    this.offs.push(
      client.onPush((event, payload) => {
        if (event !== "delivery.offer" || this.stopped) return;
        const parsed = DeliveryOfferPayload.safeParse(payload);
        if (!parsed.success) return this.opts.logger.warn({ err: parsed.error.message }, "ignored a malformed delivery offer");
        this.take(parsed.data.delivery);
      }),
      client.onState((state) => {
        if (state === "open") void this.subscribe();
      }),
    );
    void this.subscribe();
  }

  /** Stops taking offers; waits up to `timeoutMs` for the deliveries being sent (and their acks). */
  async stop(timeoutMs: number): Promise<void> {
    this.stopped = true;
    for (const off of this.offs.splice(0)) off();
    await this.idle(timeoutMs);
  }

  /** Waits up to `timeoutMs` for the deliveries being sent. */
  async idle(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled(this.sending.values()), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  private async subscribe(): Promise<void> {
    try {
      const { open } = await this.opts.client.request("deliveries.subscribe", { platform: this.opts.adapter.platform });
      this.opts.logger.info({ open }, open ? `subscribed to deliveries; ${open} waiting` : "subscribed to deliveries");
    } catch (err) {
      // the connection dropped before the answer: the next `open` subscribes again
      this.opts.logger.debug({ err: (err as Error).message }, "could not subscribe to deliveries yet");
    }
  }

  private take(d: Delivery): void {
    if (this.sending.has(d.id)) return;
    const ids = this.acked.get(d.id);
    if (ids) return void this.ack(d.id, ids, true);
    const task = this.deliver(d).finally(() => this.sending.delete(d.id));
    this.sending.set(d.id, task);
  }

  private async deliver(d: Delivery): Promise<void> {
    const { adapter, logger } = this.opts;
    // the text's chunks, then one platform message per file; a resend skips as many as were acknowledged
    const chunks = d.text.trim() ? adapter.format(d.text) : [];
    const total = chunks.length + d.attachments.length;
    const ids = [...d.platformMessageIds];
    let rest = chunks.slice(ids.length);
    // a resend that skips chunks already sent no longer replies to the message (the first chunk did)
    const addressNow = () => stripUndefined(ids.length > 0 ? { ...d.address, replyTo: undefined } : d.address);
    let final: Promise<void> | undefined;
    const sent = (id: string) => {
      ids.push(id);
      if (ids.length < total) void this.ack(d.id, [...ids], false);
      else final = this.finish(d.id, [...ids]); // the last part: acknowledged at once
    };
    const drafts = this.opts.drafts;
    const draftId = drafts && ids.length === 0 && isRunReply(d) ? await drafts.claim(d.runId!, d.address) : undefined;
    try {
      if (draftId !== undefined && rest.length > 0) {
        try {
          await drafts!.finish(d.address, draftId, rest[0]!);
          rest = rest.slice(1);
          sent(draftId);
        } catch (err) {
          logger.info({ deliveryId: d.id, err: (err as Error).message }, "could not turn the draft into the reply; replacing it");
          await drafts!.remove(d.address, draftId);
        }
      }
      if (rest.length > 0) await adapter.sendDelivery(addressNow(), rest, sent, d.buttons ? { buttons: d.buttons } : undefined);
      for (let i = Math.max(0, ids.length - chunks.length); i < d.attachments.length; i++) sent(await this.sendFile(d, i, addressNow()));
      // a reply without text (a voice note): its draft goes once the reply is out
      if (draftId !== undefined && chunks.length === 0) await drafts!.remove(d.address, draftId);
      await (final ?? this.finish(d.id, ids));
    } catch (err) {
      if (final) return void (await final); // the send call failed after the last part went out: it is delivered
      const permanent = adapter.isPermanent?.(err) ?? false;
      const reason = err instanceof Error ? err.message : String(err);
      logger.warn({ deliveryId: d.id, err: reason, permanent }, "could not send a delivery");
      await this.call(() => this.opts.client.request("deliveries.fail", { id: d.id, reason: reason.slice(0, 1000) || "send failed", retryable: !permanent }));
    }
  }

  /**
   * Sends file `index` of `d`: fetched from the daemon and sent natively; a file over the platform's limit, or a
   * platform without file sending, gets one text line naming it instead (the user learns it exists).
   */
  private async sendFile(d: Delivery, index: number, address: DeliveryAddress): Promise<string> {
    const { adapter } = this.opts;
    const a = d.attachments[index]!;
    const limit = adapter.maxAttachmentBytes?.(a) ?? Number.MAX_SAFE_INTEGER;
    const line = (why: string) => adapter.sendDelivery(address, adapter.format(`(${a.name}, ${formatBytes(a.bytes)}: ${why})`), () => {}).then((x) => x[0] ?? "");
    if (!adapter.sendAttachment) return line("files cannot be sent here");
    if (a.bytes > limit) return line(`too large to send here; the limit is ${formatBytes(limit)}`);
    const bytes = await (this.opts.fetchAttachment ?? ((id, i, max) => this.fetchFromDaemon(id, i, max)))(d.id, index, limit);
    return adapter.sendAttachment(address, a, bytes);
  }

  private async fetchFromDaemon(deliveryId: string, index: number, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
    const endpoint = await this.opts.client.verifiedEndpoint();
    const url = `${endpoint.httpUrl}/api/deliveries/${encodeURIComponent(deliveryId)}/attachments/${index}`;
    return fetchBytes(url, { maxBytes, headers: { authorization: `Bearer ${endpoint.token}` } });
  }

  private async finish(id: string, ids: string[]): Promise<void> {
    this.acked.set(id, ids);
    if (this.acked.size > REMEMBERED_ACKS) this.acked.delete(this.acked.keys().next().value!);
    await this.ack(id, ids, true);
  }

  private ack(id: string, platformMessageIds: string[], complete: boolean): Promise<void> {
    return this.call(() => this.opts.client.request("deliveries.ack", { id, platformMessageIds, complete }));
  }

  /** Calls the daemon until it answers (through reconnects), at most {@link ACK_ATTEMPTS} times; never throws. */
  private async call(fn: () => Promise<unknown>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await fn();
        return;
      } catch (err) {
        const code = err instanceof ProtocolError ? err.code : undefined;
        const closed = code === "unavailable" && /client (is )?closed/.test((err as Error).message);
        if (closed || code === "not_found" || code === "bad_request" || attempt >= ACK_ATTEMPTS) {
          this.opts.logger.warn({ err: (err as Error).message }, "could not report a delivery to the agent");
          return;
        }
        await sleep(Math.min(2000, 100 * attempt));
      }
    }
  }
}

function stripUndefined(a: { platform: string; chatId: string; threadId?: string | undefined; replyTo?: string | undefined }): DeliveryAddress {
  return {
    platform: a.platform, chatId: a.chatId,
    ...(a.threadId !== undefined ? { threadId: a.threadId } : {}),
    ...(a.replyTo !== undefined ? { replyTo: a.replyTo } : {}),
  };
}

/** `1.5 MB`-style size (SI units, as the platforms state their limits). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1_000_000) return `${(n / 1000).toFixed(0)} kB`;
  return `${(n / 1_000_000).toFixed(n < 10_000_000 ? 1 : 0)} MB`;
}
