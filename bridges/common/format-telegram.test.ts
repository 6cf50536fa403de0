import { describe, it, expect } from "vitest";
import fc from "fast-check";
import {
  formatTelegramChunks,
  markdownToTelegramHtml,
  stripMarkdown,
  telegramHtmlToPlain,
  telegramTextLength,
} from "./format-telegram.js";

/** True when every tag in `html` is one Telegram supports and tags nest properly. */
function validTelegramHtml(html: string): boolean {
  const stack: string[] = [];
  for (const m of html.matchAll(/<(\/?)([a-z]+)([^>]*)>/g)) {
    const [, close, tag = ""] = m;
    if (!["b", "i", "s", "u", "code", "pre", "a", "blockquote"].includes(tag)) return false;
    if (close) {
      if (stack.pop() !== tag) return false;
    } else stack.push(tag);
  }
  const text = html.replace(/<[^>]*>/g, "");
  return stack.length === 0 && !/[<>]/.test(text) && !/&(?!amp;|lt;|gt;|quot;)/.test(text);
}

describe("markdownToTelegramHtml", () => {
  it("converts emphasis, code, links and strike to Telegram tags", () => {
    expect(markdownToTelegramHtml("**bold**, *italic*, _also_, ~~gone~~, `x`")).toBe(
      "<b>bold</b>, <i>italic</i>, <i>also</i>, <s>gone</s>, <code>x</code>",
    );
    expect(markdownToTelegramHtml("see [the docs](https://example.com/a?b=1&c=2)")).toBe(
      'see <a href="https://example.com/a?b=1&amp;c=2">the docs</a>',
    );
  });

  it("escapes <, & and > in text, code and code blocks", () => {
    expect(markdownToTelegramHtml("a < b && c > d")).toBe("a &lt; b &amp;&amp; c &gt; d");
    expect(markdownToTelegramHtml("`<div>&`")).toBe("<code>&lt;div&gt;&amp;</code>");
    expect(markdownToTelegramHtml("```html\n<p>a & b</p>\n```")).toBe(
      '<pre><code class="language-html">&lt;p&gt;a &amp; b&lt;/p&gt;</code></pre>',
    );
    expect(markdownToTelegramHtml("```\nplain\n```")).toBe("<pre>plain</pre>");
  });

  it("nests markers properly and leaves unbalanced ones literal", () => {
    expect(markdownToTelegramHtml("**bold _and italic_ text**")).toBe("<b>bold <i>and italic</i> text</b>");
    expect(markdownToTelegramHtml("***both***")).toBe("<i><b>both</b></i>");
    expect(markdownToTelegramHtml("**never closed and *this too")).toBe("**never closed and *this too");
    expect(markdownToTelegramHtml("snake_case_name and 2 * 3")).toBe("snake_case_name and 2 * 3");
    expect(markdownToTelegramHtml("about ~5 minutes")).toBe("about ~5 minutes");
    expect(markdownToTelegramHtml("\\*not italic\\*")).toBe("*not italic*");
    expect(validTelegramHtml(markdownToTelegramHtml("**a *b** c*"))).toBe(true);
  });

  it("turns headings into bold lines, quotes into blockquote and bullets into •", () => {
    expect(markdownToTelegramHtml("## Plan <v2>\n- one\n  * two\n1. three\n> quoted\n> more")).toBe(
      "<b>Plan &lt;v2&gt;</b>\n• one\n  • two\n1. three\n<blockquote>quoted\nmore</blockquote>",
    );
  });

  it("follows CommonMark/GFM where the old hand-made parser did not: setext headings, tables, task lists, raw HTML", () => {
    expect(markdownToTelegramHtml("Title\n=====\n\ntext")).toBe("<b>Title</b>\n\ntext");
    expect(markdownToTelegramHtml("| Name | Qty |\n|:--|--:|\n| **apple** | 3 |\n| pear | 12 |")).toBe(
      "<pre>Name  | Qty\n------|----\napple |   3\npear  |  12</pre>",
    );
    expect(markdownToTelegramHtml("- [ ] todo\n- [x] done")).toBe("• ☐ todo\n• ☑ done");
    expect(markdownToTelegramHtml("<div>a & b</div>\n\nand <b>x</b>")).toBe("&lt;div&gt;a &amp; b&lt;/div&gt;\n\nand &lt;b&gt;x&lt;/b&gt;");
    expect(markdownToTelegramHtml("> a\n> > nested\n> back")).toBe("<blockquote>a\nnested\nback</blockquote>");
    expect(markdownToTelegramHtml("1. first\n   - sub\n2. second")).toBe("1. first\n  • sub\n2. second");
    expect(markdownToTelegramHtml("[docs][d]\n\n[d]: https://ex.com")).toBe('<a href="https://ex.com">docs</a>');
    expect(markdownToTelegramHtml("    indented code\n\nsee https://e.com/x")).toBe('<pre>indented code</pre>\n\nsee <a href="https://e.com/x">https://e.com/x</a>');
  });

  it("shows non-web link targets as text, never as a link", () => {
    expect(markdownToTelegramHtml("[click](javascript:alert(1))")).toBe("click (javascript:alert(1))");
  });

  it("produces valid Telegram HTML for arbitrary markdown-ish input (property)", () => {
    const piece = fc.oneof(
      fc.constantFrom("*", "**", "_", "__", "~~", "`", "```", "[", "](", ")", "<", ">", "&", "\n", " ", "# ", "> "),
      fc.constantFrom("https://x.y/?a&b", "word", "é", "😀", "- "),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), (parts) => {
        expect(validTelegramHtml(markdownToTelegramHtml(parts.join("")))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("formatTelegramChunks", () => {
  const reply = (sentence: string): string => {
    const paras: string[] = [];
    for (let i = 0; paras.join("\n\n").length < 10_000; i++) paras.push(`${i}: ${sentence.repeat(5)}`);
    return paras.join("\n\n").slice(0, 10_000);
  };

  it("delivers a 10,000-character reply as three ordered messages under 4096", () => {
    const markdown = reply("The agent replied with **a bold point** & more words in a sentence. ");
    const chunks = formatTelegramChunks(markdown);
    expect(chunks).toHaveLength(3);
    for (const c of chunks) {
      expect(c.length).toBeLessThan(4096);
      expect(validTelegramHtml(c)).toBe(true);
    }
    expect(chunks[0]!.startsWith("0: ")).toBe(true);
    const numbers = chunks.flatMap((c) => [...c.matchAll(/^(\d+): /gm)].map((m) => Number(m[1])));
    expect(numbers).toEqual(numbers.map((_, i) => i));
  });

  it("counts text after entity parsing when asked, so heavy formatting still makes three messages", () => {
    const markdown = reply("The **agent** replied with `code` & <angle> brackets. ");
    expect(formatTelegramChunks(markdown).length).toBeGreaterThan(3); // its HTML is ~45% longer
    const chunks = formatTelegramChunks(markdown, 4096, { measure: "text" });
    expect(chunks).toHaveLength(3);
    for (const c of chunks) {
      expect(telegramTextLength(c)).toBeLessThan(4096);
      expect(validTelegramHtml(c)).toBe(true);
    }
    expect(telegramTextLength("<b>a &lt; b</b>")).toBe(5);
  });

  it("re-fits chunks whose HTML grew past the limit", () => {
    const markdown = "<&>".repeat(1000); // 3000 chars of markdown, 12000 of HTML
    const chunks = formatTelegramChunks(markdown, 1000);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(1000);
    expect(chunks.join("")).toBe("&lt;&amp;&gt;".repeat(1000));
  });

  it("does not turn the continuation of a cut line into a quote, heading or list", () => {
    const chunks = formatTelegramChunks(`${"word ".repeat(30)}> not a quote - nor # heading`, 150);
    for (const c of chunks) expect(c).not.toMatch(/<blockquote>|<b>|^•/);
    expect(chunks.join(" ").replace(/\s+/g, " ")).toContain("&gt; not a quote - nor # heading");
  });

  it("keeps each chunk of a long code block a complete <pre> element", () => {
    const code = Array.from({ length: 200 }, (_, i) => `if (a < ${i}) b &= ${i};`).join("\n");
    const chunks = formatTelegramChunks(`\`\`\`c\n${code}\n\`\`\``, 1000);
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(1000);
      expect(c).toMatch(/^<pre><code class="language-c">[^<]*<\/code><\/pre>$/);
    }
  });
});

describe("formatTelegramChunks (property)", () => {
  it("always yields valid HTML chunks within the limit, for both measures", () => {
    const piece = fc.oneof(
      fc.constantFrom("**", "*", "_", "~~", "`", "\n```py\n", "\n```\n", "[a](https://b.c)", "<", "&", "\n\n", "\n> "),
      fc.constantFrom("\n# ", "\n- ", " ", ". ", "😀", "word", "longerwordwithoutspaces"),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 200 }), fc.integer({ min: 64, max: 400 }), (parts, maxChars) => {
        const markdown = parts.join("");
        for (const measure of ["html", "text"] as const) {
          for (const c of formatTelegramChunks(markdown, maxChars, { measure })) {
            expect(measure === "html" ? c.length : telegramTextLength(c)).toBeLessThanOrEqual(maxChars);
            expect(validTelegramHtml(c)).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("telegramHtmlToPlain", () => {
  it("turns a chunk back into plain text for the fallback", () => {
    const html = markdownToTelegramHtml("**a < b** & [docs](https://x.y/?a&b) <https://z.w>");
    expect(telegramHtmlToPlain(html)).toBe("a < b & docs (https://x.y/?a&b) https://z.w");
  });
});

describe("stripMarkdown", () => {
  it("removes markers and keeps the text", () => {
    expect(stripMarkdown("# Title\n**bold** and [link](https://a.b) and `x < y`\n```js\nlet a;\n```")).toBe(
      "Title\nbold and link (https://a.b) and x < y\nlet a;",
    );
  });
});
