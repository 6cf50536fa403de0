/** Timing of MCP reconnects. All values in milliseconds. */
export interface BackoffOptions {
  /** First delay. Default 500. */
  initialMs?: number;
  /** Upper bound of a delay. Default 30 000. */
  maxMs?: number;
  /** Multiplier per failed attempt. Default 2. */
  factor?: number;
}

/**
 * Exponential backoff for reconnecting MCP servers (issue 3): 0.5 s, 1 s, 2 s ... capped at 30 s by default.
 * {@link Backoff.next} returns the delay before the next attempt and advances; {@link Backoff.reset} starts
 * over (call it once a connection has proved stable).
 */
export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  private attempt = 0;

  constructor(opts: BackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? 500;
    this.maxMs = opts.maxMs ?? 30_000;
    this.factor = opts.factor ?? 2;
  }

  /** Number of delays handed out since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The delay before the next attempt, in ms; each call grows the following one by `factor`, up to `maxMs`. */
  next(): number {
    const delayMs = Math.min(this.maxMs, this.initialMs * this.factor ** this.attempt);
    this.attempt++;
    return delayMs;
  }

  /** Starts over at `initialMs`. */
  reset(): void {
    this.attempt = 0;
  }
}
