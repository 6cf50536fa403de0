import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { splitMessage, takeChunk } from "./split-message.js";

/** A paragraph of about `n` characters made of short sentences. */
function paragraph(i: number, n: number): string {
  let s = `Paragraph ${i}.`;
  while (s.length < n) s += " The agent wrote another sentence here.";
  return s.slice(0, n - 1) + ".";
}

const fenceLines = (chunk: string): string[] => chunk.split("\n").filter((l) => /^\s*```/.test(l));
const squash = (s: string): string => s.replace(/\s+/g, "");

describe("splitMessage", () => {
  it("splits a 10,000-character reply into three ordered chunks under 4096 that rejoin to the original", () => {
    const paras: string[] = [];
    for (let i = 0; paras.join("\n\n").length < 10_000; i++) paras.push(paragraph(i, 300 + ((i * 97) % 400)));
    const text = paras.join("\n\n").slice(0, 10_000);
    expect(text.length).toBe(10_000);
    const chunks = splitMessage(text, { maxChars: 4096 });
    expect(chunks).toHaveLength(3);
    for (const c of chunks) expect(c.length).toBeLessThan(4096);
    expect(chunks.join("\n\n")).toBe(text.trimEnd());
    expect(chunks[0]!.startsWith("Paragraph 0.")).toBe(true);
  });

  it("returns short text whole and drops empty input", () => {
    expect(splitMessage("hello", { maxChars: 10 })).toEqual(["hello"]);
    expect(splitMessage("", { maxChars: 10 })).toEqual([]);
    expect(splitMessage(" \n\n \t", { maxChars: 10 })).toEqual([]);
  });

  it("prefers a paragraph break over a later line break", () => {
    const text = `${"a".repeat(60)}\n\n${"b".repeat(20)}\n${"c".repeat(30)}`;
    expect(splitMessage(text, { maxChars: 100 })).toEqual(["a".repeat(60), `${"b".repeat(20)}\n${"c".repeat(30)}`]);
  });

  it("falls back to lines, then sentences, then words", () => {
    const lines = Array.from({ length: 10 }, (_, i) => `line ${i} ${"x".repeat(10)}`).join("\n");
    for (const c of splitMessage(lines, { maxChars: 50 })) expect(c).toMatch(/^(line \d x{10}\n?)+$/);
    const sentences = "One two three. Four five six! Seven eight nine? Ten eleven twelve.";
    expect(splitMessage(sentences, { maxChars: 32 })).toEqual([
      "One two three. Four five six!",
      "Seven eight nine?",
      "Ten eleven twelve.",
    ]);
    expect(splitMessage("alpha beta gamma delta epsilon", { maxChars: 12 })).toEqual([
      "alpha beta",
      "gamma delta",
      "epsilon",
    ]);
  });

  it("hard-cuts a word longer than the limit", () => {
    expect(splitMessage("x".repeat(25), { maxChars: 10 })).toEqual(["x".repeat(10), "x".repeat(10), "x".repeat(5)]);
  });

  it("never splits a surrogate pair", () => {
    const text = "😀".repeat(50); // 100 UTF-16 code units
    const chunks = splitMessage(text, { maxChars: 7 });
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(7);
      expect(c).toMatch(/^(?:😀)+$/u);
    }
    expect(chunks.join("")).toBe(text);
  });

  it("moves a code block that fits whole to the next chunk instead of cutting it", () => {
    const code = "```ts\n" + Array.from({ length: 8 }, (_, i) => `const v${i} = ${i};`).join("\n") + "\n```";
    const text = `${"Intro sentence. ".repeat(3).trim()}\n\n${code}\n\nOutro.`;
    const chunks = splitMessage(text, { maxChars: code.length + 5 });
    expect(chunks).toContain(code);
    for (const c of chunks) expect(fenceLines(c).length % 2).toBe(0);
  });

  it("closes and reopens an oversized code block with its language tag", () => {
    const body = Array.from({ length: 60 }, (_, i) => `print(${i})  # ${"x".repeat(20)}`);
    const text = `Here is the script:\n\n\`\`\`python\n${body.join("\n")}\n\`\`\`\n\nDone.`;
    const chunks = splitMessage(text, { maxChars: 400 });
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(400);
      const fences = fenceLines(c);
      expect(fences.length % 2).toBe(0);
      if (c.includes("print(")) expect(fences[0]).toBe("```python");
    }
    const printed = chunks.flatMap((c) => c.split("\n").filter((l) => l.startsWith("print(")));
    expect(printed).toEqual(body);
    expect(chunks.at(-1)).toMatch(/Done\.$/);
  });

  it("hard-cuts a single code line longer than the limit, keeping the fence in both chunks", () => {
    const text = "```\n" + "y".repeat(100) + "\n```";
    const chunks = splitMessage(text, { maxChars: 40 });
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(40);
      expect(c.startsWith("```\n") && c.endsWith("\n```")).toBe(true);
    }
    expect(chunks.map((c) => c.slice(4, -4)).join("")).toBe("y".repeat(100));
  });

  it("takeChunk returns the rest with the fence reopened", () => {
    const text = "```js\n" + "a();\n".repeat(20) + "```";
    const { chunk, rest } = takeChunk(text, { maxChars: 40 });
    expect(chunk.endsWith("\n```")).toBe(true);
    expect(rest.startsWith("```js\na();")).toBe(true);
  });

  it("rejects a limit below 2", () => {
    expect(() => splitMessage("abc", { maxChars: 1 })).toThrow(RangeError);
    expect(() => splitMessage("abc", { maxChars: 2.5 })).toThrow(RangeError);
  });

  it("keeps every chunk within the limit and loses no text (property)", () => {
    const piece = fc.oneof(
      fc.constantFrom(" ", "\n", "\n\n", ". ", "😀", "é", "```", "```py\n", "\n```\n"),
      fc.string({ minLength: 1, maxLength: 30 }),
      fc.string({ unit: "binary", minLength: 1, maxLength: 10 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 80 }), fc.integer({ min: 2, max: 120 }), (parts, maxChars) => {
        const text = parts.join("");
        const chunks = splitMessage(text, { maxChars });
        for (const c of chunks) {
          expect(c.length).toBeLessThanOrEqual(maxChars);
          expect(c.trim()).not.toBe("");
          expect(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(c)).toBe(false);
        }
        if (!text.includes("`") && !text.includes("~")) expect(squash(chunks.join(""))).toBe(squash(text));
      }),
      { numRuns: 500 },
    );
  });
});
