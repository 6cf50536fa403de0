import { describe, expect, it } from "vitest";
import { builtOnFirstUse } from "./first-use.js";

describe("builtOnFirstUse", () => {
  it("builds each value on its first read only, once, and retries a builder that threw", () => {
    const calls: string[] = [];
    let fail = true;
    const q = builtOnFirstUse({
      a: () => (calls.push("a"), { n: 1 }),
      b: () => {
        calls.push("b");
        if (fail) throw new Error("not yet");
        return 2;
      },
    });
    expect(calls).toEqual([]);
    expect(q.a.n).toBe(1);
    expect(q.a).toBe(q.a);
    expect(calls).toEqual(["a"]);
    expect(() => q.b).toThrow("not yet");
    fail = false;
    expect(q.b).toBe(2);
    expect(q.b).toBe(2);
    expect(calls).toEqual(["a", "b", "b"]);
    expect(Object.keys(q)).toEqual(["a", "b"]);
  });
});
