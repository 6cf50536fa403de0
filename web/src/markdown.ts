import { Marked } from "marked";
import DOMPurify from "dompurify";
import { signal } from "@preact/signals";
import type { HLJSApi } from "highlight.js";

/** The highlighter, loaded (its own chunk) when the first code block is rendered; reading it re-renders on load. */
const highlighter = signal<HLJSApi | undefined>(undefined);
let loading = false;
function hl(): HLJSApi | undefined {
  if (!loading) {
    loading = true;
    void import("./highlight.js").then((m) => (highlighter.value = m.default));
  }
  return highlighter.value;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** Resolves a wikilink target to a vault path (or undefined when it names no note). */
export type WikilinkResolver = (target: string) => string | undefined;

function renderer(resolve?: WikilinkResolver): Marked {
  const m = new Marked({ gfm: true, breaks: false });
  m.use({
    renderer: {
      code({ text, lang }) {
        const l = (lang ?? "").split(/\s/)[0] ?? "";
        const h = hl();
        const html = h && l && h.getLanguage(l) ? h.highlight(text, { language: l }).value : escape(text);
        return `<pre><code class="hljs">${html}</code></pre>`;
      },
    },
  });
  if (resolve) {
    m.use({
      extensions: [{
        name: "wikilink", level: "inline",
        start: (src: string) => src.indexOf("[["),
        tokenizer(src: string) {
          const match = /^!?\[\[([^\]|#]*)(#[^\]|]*)?(?:\|([^\]]*))?\]\]/.exec(src);
          if (!match) return undefined;
          return { type: "wikilink", raw: match[0], target: match[1]!.trim(), display: (match[3] ?? match[1] ?? "").trim() };
        },
        renderer(token) {
          const path = resolve(token.target as string);
          const text = escape(token.display as string);
          return path ? `<a class="wikilink" href="#/vault/${encodeURIComponent(path)}">${text}</a>` : `<span class="wikilink unresolved" title="no such note">${text}</span>`;
        },
      }],
    });
  }
  return m;
}

const plain = renderer();

/**
 * Markdown to safe HTML (marked, GFM tables; code highlighted by highlight.js; DOMPurify removes anything
 * executable, so a reply or a note can never run script even before the CSP would stop it).
 */
export function toHtml(markdown: string, resolve?: WikilinkResolver): string {
  const html = (resolve ? renderer(resolve) : plain).parse(markdown, { async: false });
  return DOMPurify.sanitize(html);
}
