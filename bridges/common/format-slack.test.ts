import { describe, it, expect } from "vitest";
import { formatSlackChunks, markdownToSlack } from "./format-slack.js";

describe("markdownToSlack", () => {
  it("converts emphasis to mrkdwn's single-character markers", () => {
    expect(markdownToSlack("**bold**, *italic*, _also_, ~~gone~~, `code`")).toBe("*bold*, _italic_, _also_, ~gone~, `code`");
    expect(markdownToSlack("**bold _inner_ end**")).toBe("*bold _inner_ end*");
  });

  it("writes links as <url|text>, and never a link to an unsafe scheme", () => {
    expect(markdownToSlack("Read [the docs](https://example.com/a?b=1&c=2) or <https://x.y>")).toBe(
      "Read <https://example.com/a?b=1&amp;c=2|the docs> or <https://x.y|https://x.y>",
    );
    expect(markdownToSlack("[a|b](https://e.com/x|y)")).toBe("<https://e.com/x%7Cy|a¦b>");
    expect(markdownToSlack("[click](javascript:alert(1))")).not.toContain("<javascript");
  });

  it("escapes &, < and > everywhere, so the model cannot ping <!channel> or a user", () => {
    expect(markdownToSlack("<!channel> & <@U123> a<b")).toBe("&lt;!channel&gt; &amp; &lt;@U123&gt; a&lt;b");
    expect(markdownToSlack("```html\n<b>&</b>\n```")).toBe("```\n&lt;b&gt;&amp;&lt;/b&gt;\n```");
    expect(markdownToSlack("`a<b`")).toBe("`a&lt;b`");
  });

  it("renders headings bold, lists with bullets, quotes and rules", () => {
    expect(markdownToSlack("## Plan\n- one\n  * two\n1. first\n> quoted **x**\n---")).toBe(
      "*Plan*\n• one\n  • two\n1. first\n> quoted *x*\n──────────",
    );
    expect(markdownToSlack("2 * 3 and snake_case and **open")).toBe("2 * 3 and snake_case and **open");
  });
});

describe("formatSlackChunks", () => {
  it("keeps a short reply in one message", () => {
    expect(formatSlackChunks("Hello **there**")).toEqual(["Hello *there*"]);
  });

  it("splits a long reply under the limit, in order, with code blocks closed in each chunk", () => {
    const code = Array.from({ length: 400 }, (_, i) => `if (a < ${i}) x = ${i};`).join("\n");
    const md = `Intro **here**.\n\n\`\`\`js\n${code}\n\`\`\`\n\nThe end.`;
    const chunks = formatSlackChunks(md, 1000);
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(1000);
      expect((c.match(/```/g) ?? []).length % 2).toBe(0);
    }
    const text = chunks.join("\n").replace(/```\n?/g, "");
    for (let i = 0; i < 400; i++) expect(text).toContain(`if (a &lt; ${i}) x = ${i};`);
    expect(chunks.at(-1)).toContain("The end.");
  });

  it("keeps a 50,000-character answer whole across 4,000-character messages", () => {
    const md = Array.from({ length: 1000 }, (_, i) => `Sentence number ${i} is here & there. `.padEnd(50, ".")).join("");
    expect(md.length).toBe(50_000);
    const chunks = formatSlackChunks(md);
    expect(chunks.length).toBeGreaterThanOrEqual(13);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(4000);
    expect(chunks.join(" ").replace(/&amp;/g, "&").replace(/\s+/g, " ")).toBe(md.replace(/\s+/g, " ").trim());
  });
});
