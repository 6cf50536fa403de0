import { describe, it, expect } from "vitest";
import { Backoff } from "./backoff.js";

describe("Backoff", () => {
  it("doubles from 0.5 s up to 30 s by default and starts over after reset", () => {
    const b = new Backoff();
    const delays = Array.from({ length: 9 }, () => b.next());
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(b.attempts).toBe(9);
    b.reset();
    expect(b.next()).toBe(500);
  });

  it("honours custom timing", () => {
    const b = new Backoff({ initialMs: 100, maxMs: 250, factor: 3 });
    expect([b.next(), b.next(), b.next()]).toEqual([100, 250, 250]);
  });
});
