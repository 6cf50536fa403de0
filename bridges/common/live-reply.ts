/**
 * Live replies (issue 12, "Out"): while a run streams, one draft message in the chat shows the reply so far and is
 * edited in place (throttled to the platform's edit rate); when the run's reply arrives from the outbox, the
 * {@link DeliveryConsumer} turns the draft into the reply's first formatted chunk. The outbox stays the source of
 * truth: a draft never carries the final text on its own, and a draft nobody claims is deleted.
 */
import type { Delivery, DeliveryAddress } from "../../protocol/deliveries.js";
import type { BridgeLogger } from "./bridge-logger.js";

/**
 * What a platform plugs in to show a reply as it streams. Drafts are plain text (no parse mode): markup of a
 * half-streamed answer may be unbalanced. All methods reject with the platform's error.
 */
export interface DraftAdapter {
  /** Longest draft text, in characters (the platform's message limit: Telegram 4096, Discord 2000). */
  maxChars: number;
  /**
   * Optional: the markdown streamed so far as the draft should show it (Telegram: without markup, since the draft
   * has no parse mode); default the markdown as written (Discord renders it itself).
   */
  preview?(markdown: string): string;
  /** Least milliseconds between two sends/edits of one draft in `address`'s chat (the platform's edit rate limit). */
  intervalMs(address: DeliveryAddress): number;
  /** Sends the draft: plain `text`, as a reply to `address.replyTo`, in `address.threadId`. Resolves with its message id. */
  send(address: DeliveryAddress, text: string): Promise<string>;
  /** Replaces the draft's text with plain `text`. */
  edit(address: DeliveryAddress, messageId: string, text: string): Promise<void>;
  /**
   * Replaces the draft's text with `chunk`, the first chunk of the reply as {@link DeliveryAdapter.format} made it
   * (Telegram HTML, Discord markdown). Rejects when the platform refuses it (the caller deletes the draft and
   * sends the reply as new messages).
   */
  finish(address: DeliveryAddress, messageId: string, chunk: string): Promise<void>;
  /** Deletes the draft. */
  delete(address: DeliveryAddress, messageId: string): Promise<void>;
}

/** What marks a draft as still being written: appended to its text (after a space). */
export const DRAFT_MARKER = "…";

/** Milliseconds after its run ended that a draft no delivery claimed is deleted (e.g. the reply went as a voice note). */
export const UNCLAIMED_DRAFT_MS = 30_000;

/**
 * The text a draft shows for `text` streamed so far: trimmed, cut to `maxChars` with room for
 * {@link DRAFT_MARKER} (never inside a surrogate pair), then the marker. Empty when there is nothing to show.
 */
export function draftView(text: string, maxChars: number): string {
  const t = text.trim();
  if (!t) return "";
  const room = maxChars - DRAFT_MARKER.length - 1;
  let cut = t.length > room ? t.slice(0, room) : t;
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut.trimEnd()} ${DRAFT_MARKER}`;
}

/**
 * Whether delivery `d` is a run's reply to its chat, the one that replaces the run's draft: written by the run's
 * end (`runId`, no idempotency key, no buttons) with text only, or as a voice note only (`voiceReplies`).
 * Approval prompts (buttons, keyed), decision notices (keyed) and `send_file` messages mid-run are not.
 */
export function isRunReply(d: Delivery): boolean {
  if (!d.runId || d.idempotencyKey !== null || d.buttons?.length) return false;
  return d.attachments.length === 0 || (!d.text.trim() && d.attachments.every((a) => a.kind === "voice"));
}

/** The runtime's handle on one run's draft. */
export interface LiveDraft {
  /** Adds a piece of streamed text (`run.delta`). */
  push(text: string): void;
  /** The run ended (or its events stopped): no more edits; the draft waits for its reply, then goes. Idempotent. */
  end(): void;
}

interface Draft {
  runId: string;
  address: DeliveryAddress;
  text: string;
  shown: string;
  messageId?: string | undefined;
  /** The send or edit in flight (never rejects). */
  busy: Promise<void>;
  ended: boolean;
  claimed: boolean;
  wake?: (() => void) | undefined;
  unclaimedTimer?: NodeJS.Timeout | undefined;
}

/**
 * Drafts of the runs this bridge streams, by run id. The runtime opens one per run ({@link open}) and feeds it;
 * the first send waits one interval (a short answer that ends sooner never gets a draft), later edits at most one
 * per interval, only when the text changed. The delivery consumer {@link claim}s a run's draft for its reply.
 */
export class LiveReplies {
  private readonly drafts = new Map<string, Draft>();

  constructor(private readonly adapter: DraftAdapter, private readonly logger: BridgeLogger) {}

  /**
   * Starts the draft of run `runId` for the chat at `address` (its `replyTo` is the user's message). A run that
   * already has a draft here (the same message handled twice: a platform's resend joined to its run) gets a handle
   * that does nothing: one draft per run.
   */
  open(runId: string, address: DeliveryAddress): LiveDraft {
    if (this.drafts.has(runId)) return { push() {}, end() {} };
    const d: Draft = { runId, address, text: "", shown: "", busy: Promise.resolve(), ended: false, claimed: false };
    this.drafts.set(runId, d);
    let pumping = false;
    return {
      push: (text) => {
        if (d.ended || d.claimed) return;
        d.text += text;
        if (!pumping) {
          pumping = true;
          void this.pump(d);
        }
      },
      end: () => {
        if (d.ended) return;
        d.ended = true;
        d.wake?.();
        if (d.claimed) return;
        if (d.messageId === undefined && !pumping) return void this.drafts.delete(runId);
        d.unclaimedTimer = setTimeout(() => void this.discard(d, "no reply claimed it"), UNCLAIMED_DRAFT_MS);
        d.unclaimedTimer.unref();
      },
    };
  }

  /**
   * Takes the draft of `runId` for its reply: no more edits; waits for a send or edit in flight. Resolves with
   * the draft's message id, or undefined when there is none (a short answer, another chat, a restarted bridge).
   */
  async claim(runId: string, address: DeliveryAddress): Promise<string | undefined> {
    const d = this.drafts.get(runId);
    if (!d || d.address.platform !== address.platform || d.address.chatId !== address.chatId) return undefined;
    this.drafts.delete(runId);
    d.claimed = true;
    clearTimeout(d.unclaimedTimer);
    d.wake?.();
    await d.busy;
    return d.messageId;
  }

  /** The platform side, for the consumer: see {@link DraftAdapter.finish}. */
  finish(address: DeliveryAddress, messageId: string, chunk: string): Promise<void> {
    return this.adapter.finish(address, messageId, chunk);
  }

  /** Deletes a claimed draft; a failure is logged (the draft stays visible, marked unfinished). */
  async remove(address: DeliveryAddress, messageId: string): Promise<void> {
    await this.adapter.delete(address, messageId).catch((err: unknown) => this.logger.warn({ err: errorText(err) }, "could not delete a draft reply"));
  }

  /**
   * For a clean stop: deletes every draft not claimed (their replies stay in the outbox and come as new messages
   * after the next start), waiting up to `timeoutMs` in all.
   */
  async discardAll(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const all = Promise.allSettled([...this.drafts.values()].map((d) => this.discard(d, "the bridge is stopping")));
    await Promise.race([all, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  private async discard(d: Draft, why: string): Promise<void> {
    if (this.drafts.get(d.runId) !== d) return;
    this.drafts.delete(d.runId);
    d.claimed = true;
    d.wake?.();
    await d.busy;
    if (d.messageId === undefined) return;
    this.logger.debug({ runId: d.runId, why }, "deleting a draft reply");
    await this.remove(d.address, d.messageId);
  }

  /** Sends, then edits, the draft at most once per interval while the run streams and nobody claimed it. */
  private async pump(d: Draft): Promise<void> {
    const interval = this.adapter.intervalMs(d.address);
    for (;;) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, interval);
        function done(): void {
          clearTimeout(timer);
          d.wake = undefined;
          resolve();
        }
        d.wake = done;
      });
      if (d.ended || d.claimed) return;
      const view = draftView(this.adapter.preview ? this.adapter.preview(d.text) : d.text, this.adapter.maxChars);
      if (!view || view === d.shown) continue;
      d.busy = this.show(d, view);
      await d.busy;
      if (d.messageId === undefined) return; // the first send failed: no live reply for this run
    }
  }

  private async show(d: Draft, view: string): Promise<void> {
    try {
      if (d.messageId === undefined) d.messageId = await this.adapter.send(d.address, view);
      else await this.adapter.edit(d.address, d.messageId, view);
      d.shown = view;
    } catch (err) {
      this.logger.debug({ err: errorText(err), runId: d.runId }, "could not update a draft reply");
    }
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
