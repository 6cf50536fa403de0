import { describe, it, expect } from "vitest";
import { Backoff, sleep } from "./backoff.js";

describe("Backoff", () => {
  it("grows from the first delay to the cap, with jitter in the upper half, and resets", () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1_000 });
    const ceilings = [100, 200, 400, 800, 1_000, 1_000];
    for (const c of ceilings) {
      const d = b.next();
      expect(d).toBeGreaterThanOrEqual(c / 2);
      expect(d).toBeLessThanOrEqual(c);
    }
    b.reset();
    expect(b.next()).toBeLessThanOrEqual(100);
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
