/**
 * Keeping a chat platform's typing indicator alive while a run streams (issue 6). Platforms expire the
 * indicator on their own, so it is re-sent on an interval; a failing call never stops the reply.
 */

/** Refresh intervals per platform, in milliseconds, a little under each indicator's lifetime. */
export const TYPING_INTERVAL_MS = {
  /** `sendChatAction` lasts 5 s (https://core.telegram.org/bots/api#sendchataction). */
  telegram: 4_000,
  /** `POST /channels/{id}/typing` lasts 10 s (https://discord.com/developers/docs/resources/channel#trigger-typing-indicator). */
  discord: 8_000,
  /** Baileys `sendPresenceUpdate("composing", jid)`; WhatsApp clears it after a while without a refresh. */
  whatsapp: 10_000,
  /** Slack has no bot typing indicator: the bridge adds a reaction once, and the loop's repeats are no-ops. */
  slack: 60_000,
} as const;

/** Options of {@link startTypingLoop}. */
export interface TypingLoopOptions {
  /** Milliseconds between calls; a positive number. */
  intervalMs: number;
  /** Receives failed calls at debug level (`debug(message, error)`); failures are otherwise ignored. */
  logger?: { debug(...args: unknown[]): void };
}

/** A running typing loop. */
export interface TypingLoop {
  /** Stops the loop; no further calls start. Idempotent. */
  stop(): void;
}

/**
 * Calls `send` at once and then every `opts.intervalMs` until `stop()`. A call that throws or rejects is
 * logged at debug and the loop goes on; a tick is skipped while the previous call is still pending, so a
 * slow platform never piles calls up. The timer is unref'd: it never keeps the process alive.
 *
 * @throws RangeError when `intervalMs` is not a positive finite number.
 */
export function startTypingLoop(send: () => Promise<unknown>, opts: TypingLoopOptions): TypingLoop {
  if (!(opts.intervalMs > 0) || !Number.isFinite(opts.intervalMs)) {
    throw new RangeError(`intervalMs must be a positive number, got ${opts.intervalMs}`);
  }
  let stopped = false;
  let pending = false;
  const tick = (): void => {
    if (stopped || pending) return;
    pending = true;
    let call: Promise<unknown>;
    try {
      call = Promise.resolve(send());
    } catch (err) {
      call = Promise.reject(err);
    }
    call.then(
      () => {
        pending = false;
      },
      (err: unknown) => {
        pending = false;
        opts.logger?.debug("typing indicator failed", err);
      },
    );
  };
  const timer = setInterval(tick, opts.intervalMs);
  timer.unref();
  tick();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
