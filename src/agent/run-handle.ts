import type { EventName, EventPayload } from "../../protocol/events.js";
import type { ChannelAddress } from "../../protocol/chat.js";
import type { DeliveryAddress } from "../../protocol/deliveries.js";

/** Receives run events: the event name, its payload and the per-run sequence number (from 1). */
export type RunSubscriber = (event: EventName, payload: unknown, seq: number) => void;

/** A buffered run event. */
export interface BufferedEvent {
  event: EventName;
  payload: unknown;
  seq: number;
}

/**
 * The in-memory side of one run: its abort controller, the events emitted so far (replayed to a client that
 * re-attaches with the same idempotency key) and the subscribers that receive new ones.
 * The buffer lives while the run is active and a short while after (see the runner), so memory stays bounded.
 */
export class RunHandle {
  readonly controller = new AbortController();
  readonly events: BufferedEvent[] = [];
  private readonly subscribers = new Set<RunSubscriber>();
  private seq = 0;
  finished = false;
  /** Set when the daemon's stop aborted the run: it is left `queued` (re-run at the next start), nothing is delivered. */
  stoppedByShutdown = false;
  /** A per-chat model override (`/model NAME`), else the active model is used. */
  preferredModel: string | undefined;
  /** The run's own tool step limit (a scheduled job's `maxSteps`), else `agent.maxSteps`. */
  maxSteps: number | undefined;
  /** Set for a run dispatched again from the database (a restart after a crash, a resend re-attaching): earlier executions may have recorded usage. */
  restarted = false;
  /** Whether the user's message came with a voice note or other audio (for `voiceReplies: when-voice`, issue 12). */
  voiceIn = false;
  /** Resolves when the run has ended (done or error). */
  readonly ended: Promise<void>;
  private resolveEnded!: () => void;

  constructor(
    readonly id: string,
    readonly sessionId: string,
    readonly text: string,
    readonly channel: ChannelAddress | undefined,
    /** Where the run's final text goes through the outbox (issue 11); empty: nowhere. */
    readonly deliverTo: DeliveryAddress[] = [],
    /** A final text that, trimmed, equals this is not delivered. */
    readonly silentReply?: string | undefined,
  ) {
    this.ended = new Promise((r) => (this.resolveEnded = r));
  }

  /** Emits an event to every subscriber and buffers it. `run.done`/`run.error` end the run. */
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    if (this.finished) return;
    const ev: BufferedEvent = { event, payload, seq: ++this.seq };
    this.events.push(ev);
    for (const s of this.subscribers) s(ev.event, ev.payload, ev.seq);
    if (event === "run.done" || event === "run.error") {
      this.finished = true;
      this.subscribers.clear();
      this.resolveEnded();
    }
  }

  /** Adds a subscriber and replays the buffered events to it first. Returns an unsubscribe function. */
  subscribe(s: RunSubscriber): () => void {
    for (const ev of this.events) s(ev.event, ev.payload, ev.seq);
    if (!this.finished) this.subscribers.add(s);
    return () => this.subscribers.delete(s);
  }
}
