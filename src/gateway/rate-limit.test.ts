import { describe, it, expect } from "vitest";
import { FrameLimiter, TokenBucket } from "./rate-limit.js";

describe("TokenBucket", () => {
  it("allows a burst, then refills at the rate", () => {
    let t = 0;
    const b = new TokenBucket(10, 3, () => t);
    expect([b.take(), b.take(), b.take(), b.take()]).toEqual([true, true, true, false]);
    t += 100; // 0.1 s at 10/s = one token
    expect([b.take(), b.take()]).toEqual([true, false]);
    t += 10_000; // never more than the burst
    expect(b.available()).toBe(3);
  });

  it("rejects nonsense parameters", () => {
    expect(() => new TokenBucket(0, 1)).toThrow(RangeError);
    expect(() => new TokenBucket(1, 0)).toThrow(RangeError);
  });
});

describe("FrameLimiter", () => {
  it("limits frames over the rate and reports abuse when the client keeps going", () => {
    let t = 0;
    const l = new FrameLimiter(50, 100, 100, () => t);
    const results = Array.from({ length: 201 }, () => l.check());
    expect(results.slice(0, 100).every((r) => r === "ok")).toBe(true);
    expect(results.slice(100, 200).every((r) => r === "limited")).toBe(true);
    expect(results[200]).toBe("abuse");
  });

  it("forgives a client that backs off until its bucket is full again", () => {
    let t = 0;
    const l = new FrameLimiter(50, 10, 5, () => t);
    for (let i = 0; i < 10; i++) l.check();
    for (let i = 0; i < 5; i++) expect(l.check()).toBe("limited");
    t += 1000; // bucket full again
    expect(l.check()).toBe("ok");
    for (let i = 0; i < 9; i++) l.check();
    for (let i = 0; i < 5; i++) expect(l.check()).toBe("limited");
    expect(l.check()).toBe("abuse");
  });

  it("a client at twice the rate is closed in the end, a client at the rate never", () => {
    let t = 0;
    const fast = new FrameLimiter(50, 100, 100, () => t);
    let verdict = "ok";
    for (let i = 0; i < 10_000 && verdict !== "abuse"; i++) {
      t += 10; // 100 frames/s
      verdict = fast.check();
    }
    expect(verdict).toBe("abuse");
    t = 0;
    const steady = new FrameLimiter(50, 100, 100, () => t);
    for (let i = 0; i < 10_000; i++) {
      t += 20; // 50 frames/s
      expect(steady.check()).toBe("ok");
    }
  });
});
