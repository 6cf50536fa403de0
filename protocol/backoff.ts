/**
 * The one exponential backoff of agentd and its bridges: the protocol client's reconnects, MCP server reconnects,
 * bridge restarts, delivery and scheduled-job retries, and bridges reconnecting to their platform. Delays grow by
 * `factor` from `initialMs` up to `maxMs`, optionally with jitter as in AWS's "Exponential Backoff And Jitter"
 * (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).
 */

/**
 * Jitter of a delay whose exponential value ("ceiling") is c:
 * - `none`: exactly c (predictable: retries whose times are shown to users or persisted);
 * - `equal`: uniformly random in [c/2, c] (AWS's "equal jitter": never much sooner than planned);
 * - `full`: uniformly random in [0, c] (AWS's "full jitter": spreads many clients retrying at once the most).
 */
export type Jitter = "none" | "equal" | "full";

/** Timing of a {@link Backoff}. All durations in milliseconds. */
export interface BackoffOptions {
  /** First delay. Default 500. */
  initialMs?: number;
  /** Upper bound of a delay (at least `initialMs`). Default 30 000. */
  maxMs?: number;
  /** Multiplier per attempt. Default 2. */
  factor?: number;
  /** See {@link Jitter}. Default `none`. */
  jitter?: Jitter;
}

/**
 * The delay before retry number `attempt` (0 for the first retry), in ms: min(maxMs, initialMs × factor^attempt)
 * with the chosen jitter, rounded to whole ms. Pure apart from `Math.random` for jitter; for delays derived from a
 * persisted attempt count.
 */
export function backoffDelayMs(attempt: number, opts: BackoffOptions = {}): number {
  const initialMs = opts.initialMs ?? 500;
  const maxMs = Math.max(opts.maxMs ?? 30_000, initialMs);
  const ceiling = Math.min(maxMs, initialMs * (opts.factor ?? 2) ** Math.min(Math.max(0, attempt), 64));
  switch (opts.jitter ?? "none") {
    case "equal":
      return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
    case "full":
      return Math.round(Math.random() * ceiling);
    default:
      return Math.round(ceiling);
  }
}

/**
 * A backoff sequence: {@link Backoff.next} returns the delay before the next attempt (see {@link backoffDelayMs})
 * and advances; {@link Backoff.reset} starts over (call it after a success, or once a connection proved stable).
 */
export class Backoff {
  private attempt = 0;

  constructor(readonly options: BackoffOptions = {}) {}

  /** Number of delays handed out since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The delay before the next attempt, in ms. */
  next(): number {
    return backoffDelayMs(this.attempt++, this.options);
  }

  /** Starts over at `initialMs`. */
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
