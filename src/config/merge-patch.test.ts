import { describe, expect, it } from "vitest";
import { mergePatch } from "./merge-patch.js";

describe("mergePatch (RFC 7396)", () => {
  it("merges objects, removes keys with null, replaces arrays and scalars", () => {
    const target = { a: { b: 1, c: 2 }, l: [1, 2], s: "x" };
    expect(mergePatch(target, { a: { c: null, d: 3 }, l: [9], s: "y" })).toEqual({ a: { b: 1, d: 3 }, l: [9], s: "y" });
    expect(target).toEqual({ a: { b: 1, c: 2 }, l: [1, 2], s: "x" });
    expect(mergePatch({ a: 1 }, "z")).toBe("z");
  });
});
