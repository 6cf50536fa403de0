import { describe, it, expect } from "vitest";
import { formatWhatsAppChunks, markdownToWhatsApp } from "./format-whatsapp.js";

describe("markdownToWhatsApp", () => {
  it("converts emphasis to WhatsApp's single-character markers", () => {
    expect(markdownToWhatsApp("**bold**, *italic*, _also_, ~~gone~~, `code`")).toBe(
      "*bold*, _italic_, _also_, ~gone~, `code`",
    );
    expect(markdownToWhatsApp("**bold _inner_ end**")).toBe("*bold _inner_ end*");
  });

  it("turns headings into bold lines and links into text (url)", () => {
    expect(markdownToWhatsApp("## Plan\nRead [the docs](https://example.com) or <https://x.y>")).toBe(
      "*Plan*\nRead the docs (https://example.com) or https://x.y",
    );
  });

  it("keeps fences (without the language tag), quotes and lists, and leaves unbalanced markers", () => {
    expect(markdownToWhatsApp("```py\nprint(1 < 2)\n```\n> quote\n* item\n1. first")).toBe(
      "```\nprint(1 < 2)\n```\n> quote\n- item\n1. first",
    );
    expect(markdownToWhatsApp("2 * 3 and snake_case and **open")).toBe("2 * 3 and snake_case and **open");
  });
});

describe("formatWhatsAppChunks", () => {
  it("splits at the configured limit with code blocks closed in each chunk", () => {
    const code = Array.from({ length: 100 }, (_, i) => `x = ${i}`).join("\n");
    const chunks = formatWhatsAppChunks(`Intro **here**.\n\n\`\`\`js\n${code}\n\`\`\``, 300);
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks[0]!.startsWith("Intro *here*.")).toBe(true);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(300);
      expect(c.split("\n").filter((l) => l === "```").length % 2).toBe(0);
    }
  });

  it("defaults to 4000 characters", () => {
    const text = Array.from({ length: 100 }, (_, i) => `Paragraph ${i} ${"w ".repeat(40)}`).join("\n\n");
    for (const c of formatWhatsAppChunks(text)) expect(c.length).toBeLessThanOrEqual(4000);
    expect(formatWhatsAppChunks(text).length).toBe(3);
  });
});
