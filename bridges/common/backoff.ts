/**
 * Retry delays for bridges that reconnect to their platform themselves (Telegram polling after a 409 conflict or a
 * network drop, WhatsApp after a closed socket): exponential with full jitter, capped
 * (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).
 */

/** Options of {@link Backoff}. Defaults: 1 000 ms first delay, 30 000 ms cap. */
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
}

/** A backoff sequence: `next()` gives the next delay in milliseconds, `reset()` starts over after a success. */
export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;

  constructor(opts: BackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? 1_000;
    this.maxMs = Math.max(opts.maxMs ?? 30_000, this.initialMs);
  }

  /** The next delay: a random value in [ceiling / 2, ceiling], where ceiling = min(max, initial * 2^attempt). */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  }

  /** Starts the sequence over (call after a success). */
  reset(): void {
    this.attempt = 0;
  }
}

/** Resolves after `ms` milliseconds, or at once (without error) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
