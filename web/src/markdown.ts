import { Marked } from "marked";
import DOMPurify from "dompurify";
import hljs from "highlight.js/lib/core";
import javascript from "highlight.js/lib/languages/javascript";
import typescript from "highlight.js/lib/languages/typescript";
import json from "highlight.js/lib/languages/json";
import bash from "highlight.js/lib/languages/bash";
import python from "highlight.js/lib/languages/python";
import yaml from "highlight.js/lib/languages/yaml";

for (const [name, lang] of Object.entries({ javascript, typescript, json, bash, python, yaml })) hljs.registerLanguage(name, lang);

const escape = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** Resolves a wikilink target to a vault path (or undefined when it names no note). */
export type WikilinkResolver = (target: string) => string | undefined;

function renderer(resolve?: WikilinkResolver): Marked {
  const m = new Marked({ gfm: true, breaks: false });
  m.use({
    renderer: {
      code({ text, lang }) {
        const l = (lang ?? "").split(/\s/)[0] ?? "";
        const html = l && hljs.getLanguage(l) ? hljs.highlight(text, { language: l }).value : escape(text);
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
