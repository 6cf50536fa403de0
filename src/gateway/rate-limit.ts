/**
 * A token bucket (the classic traffic-shaping algorithm, e.g. RFC 2697 §2 "token bucket"): it holds at most
 * `burst` tokens, refills at `ratePerSecond` tokens per second, and each accepted event takes one token. An
 * event that finds the bucket empty is refused and takes nothing. Time comes from `now()` (milliseconds,
 * monotonic by default: `performance.now`), so tests can drive it.
 *
 * Used by the WebSocket gateway to cap frames per second per connection (`server.maxFramesPerSecond`,
 * `server.frameBurst`).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  /**
   * @param ratePerSecond refill rate in tokens per second (> 0)
   * @param burst capacity in tokens (>= 1); the bucket starts full
   * @param now clock in milliseconds; default `performance.now()`
   * @throws RangeError when `ratePerSecond <= 0` or `burst < 1`
   */
  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(ratePerSecond > 0)) throw new RangeError("ratePerSecond must be > 0");
    if (!(burst >= 1)) throw new RangeError("burst must be >= 1");
    this.tokens = burst;
    this.last = now();
  }

  /** Takes one token when there is one and returns true; returns false (taking nothing) when the bucket is empty. */
  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.ratePerSecond);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Tokens available right now (fractional), without taking any. */
  available(): number {
    return Math.min(this.burst, this.tokens + ((this.now() - this.last) / 1000) * this.ratePerSecond);
  }
}

/**
 * A per-connection frame limiter: a {@link TokenBucket} plus a count of refused frames. `check()` answers `"ok"`,
 * `"limited"` (refuse this frame with a `rate_limited` error; the connection lives on) or `"abuse"` (close the
 * connection): more than `maxRefused` frames were refused since the bucket was last full, i.e. the client kept
 * sending over the limit instead of backing off. A client that pauses until its bucket is full again starts over.
 */
export class FrameLimiter {
  private readonly bucket: TokenBucket;
  private refused = 0;

  /**
   * @param framesPerSecond sustained frames per second allowed
   * @param burst frames allowed at once (bucket capacity)
   * @param maxRefused refusals tolerated before `check()` reports abuse; default `burst`
   * @param now clock in milliseconds (tests)
   */
  constructor(framesPerSecond: number, burst: number, private readonly maxRefused = burst, now?: () => number) {
    this.bucket = new TokenBucket(framesPerSecond, burst, now);
  }

  /** Accounts one arriving frame. */
  check(): "ok" | "limited" | "abuse" {
    if (this.bucket.take()) {
      // a client that backed off until its bucket refilled starts with a clean slate
      if (this.bucket.available() >= this.bucket.burst - 1) this.refused = 0;
      return "ok";
    }
    this.refused += 1;
    return this.refused > this.maxRefused ? "abuse" : "limited";
  }
}
