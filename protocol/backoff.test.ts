import { describe, it, expect } from "vitest";
import { Backoff, backoffDelayMs, sleep } from "./backoff.js";

describe("Backoff", () => {
  it("doubles from 0.5 s up to 30 s by default and starts over after reset", () => {
    const b = new Backoff();
    const delays = Array.from({ length: 9 }, () => b.next());
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(b.attempts).toBe(9);
    b.reset();
    expect(b.next()).toBe(500);
  });

  it("honours custom timing, and a cap below the first delay is raised to it", () => {
    const b = new Backoff({ initialMs: 100, maxMs: 250, factor: 3 });
    expect([b.next(), b.next(), b.next()]).toEqual([100, 250, 250]);
    expect(backoffDelayMs(5, { initialMs: 1000, maxMs: 10 })).toBe(1000);
  });

  it("equal jitter stays in the upper half of each ceiling; full jitter in [0, ceiling]", () => {
    const ceilings = [100, 200, 400, 800, 1_000, 1_000];
    for (let round = 0; round < 50; round++) {
      const equal = new Backoff({ initialMs: 100, maxMs: 1_000, jitter: "equal" });
      const full = new Backoff({ initialMs: 100, maxMs: 1_000, jitter: "full" });
      for (const c of ceilings) {
        const e = equal.next();
        const f = full.next();
        expect(e).toBeGreaterThanOrEqual(c / 2);
        expect(e).toBeLessThanOrEqual(c);
        expect(f).toBeGreaterThanOrEqual(0);
        expect(f).toBeLessThanOrEqual(c);
      }
    }
  });

  it("gives the delay of a persisted attempt count directly, without overflowing on huge counts", () => {
    expect(backoffDelayMs(0, { initialMs: 30_000, maxMs: 3_600_000 })).toBe(30_000);
    expect(backoffDelayMs(3, { initialMs: 30_000, maxMs: 3_600_000 })).toBe(240_000);
    expect(backoffDelayMs(10_000, { initialMs: 30_000, maxMs: 3_600_000 })).toBe(3_600_000);
    expect(backoffDelayMs(-1)).toBe(500);
  });
});

describe("sleep", () => {
  it("ends early, without an error, when its signal aborts", async () => {
    const ac = new AbortController();
    const started = Date.now();
    const p = sleep(10_000, ac.signal);
    ac.abort();
    await p;
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
