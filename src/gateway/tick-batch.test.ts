import { describe, it, expect } from "vitest";
import { TickBatch } from "./tick-batch.js";

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("TickBatch", () => {
  it("hands the values of one tick over together, in order, at the end of that tick", async () => {
    const flushes: number[][] = [];
    const batch = new TickBatch<number>((items) => flushes.push(items));
    batch.push(1);
    batch.push(2);
    // values pushed from promise jobs of the same tick join the same flush
    await Promise.resolve().then(() => batch.push(3));
    expect(flushes).toEqual([]);
    await tick();
    expect(flushes).toEqual([[1, 2, 3]]);
  });

  it("does not hold a lone value back for a later one", async () => {
    const flushes: string[][] = [];
    const batch = new TickBatch<string>((items) => flushes.push(items));
    batch.push("alone");
    await tick();
    expect(flushes).toEqual([["alone"]]);
    batch.push("next");
    await tick();
    expect(flushes).toEqual([["alone"], ["next"]]);
  });

  it("flushes at once on flushNow, and drops what is queued on clear", async () => {
    const flushes: string[][] = [];
    const batch = new TickBatch<string>((items) => flushes.push(items));
    batch.push("error frame");
    batch.flushNow();
    expect(flushes).toEqual([["error frame"]]);
    batch.push("never sent");
    expect(batch.size).toBe(1);
    batch.clear();
    await tick();
    expect(flushes).toEqual([["error frame"]]);
    batch.push("after");
    await tick();
    expect(flushes).toEqual([["error frame"], ["after"]]);
  });
});
