import { describe, it, expect } from "vitest";
import { formatDiscordChunks, markdownToDiscord, neutraliseMassMentions } from "./format-discord.js";

describe("formatDiscordChunks", () => {
  it("neutralises @everyone and @here and leaves other text and markdown alone", () => {
    expect(neutraliseMassMentions("hi @everyone and @here, mail a@herenow.com")).toBe(
      "hi @\u200beveryone and @\u200bhere, mail a@herenow.com",
    );
    expect(formatDiscordChunks("**bold** @here `code`")).toEqual(["**bold** @\u200bhere `code`"]);
  });

  it("rewrites what Discord cannot show (tables, rules, deep headings) and keeps literal markers literal", () => {
    expect(markdownToDiscord("| a | b |\n|---|---|\n| 1 | **2** |")).toBe("```\na | b\n--|--\n1 | 2\n```");
    expect(markdownToDiscord("## Plan\n- one\n  - two\n\n---\n#### deep")).toBe("## Plan\n- one\n  - two\n\n──────────\n**deep**");
    expect(markdownToDiscord("2 * 3 and snake_case and ~5")).toBe("2 \\* 3 and snake\\_case and \\~5");
    expect(markdownToDiscord("see https://e.com/a_b, [docs](https://d.com/x) and [bad](javascript:x)")).toBe(
      "see https://e.com/a_b, [docs](<https://d.com/x>) and bad (javascript:x)",
    );
    expect(markdownToDiscord("```ts\nlet a = b * c;\n```")).toBe("```ts\nlet a = b * c;\n```");
  });

  it("splits at 2000 characters with code fences balanced per chunk", () => {
    const code = Array.from({ length: 200 }, (_, i) => `let v${i} = ${i}; // ${"c".repeat(10)}`).join("\n");
    const chunks = formatDiscordChunks(`Here:\n\n\`\`\`ts\n${code}\n\`\`\`\n\nThat's all.`);
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(2000);
      const fences = c.split("\n").filter((l) => l.startsWith("```"));
      expect(fences.length % 2).toBe(0);
    }
    expect(chunks.at(-1)!.endsWith("That's all.")).toBe(true);
  });
});
