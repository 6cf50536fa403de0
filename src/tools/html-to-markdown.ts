/**
 * Readable content of an HTML page as Markdown: `linkedom` parses, Mozilla's `@mozilla/readability` (the
 * Firefox Reader View algorithm) picks the article, `turndown` writes Markdown. Links and images of the article
 * are made absolute against `url` (the page's final URL, or its own `<base href>` resolved against it), so the
 * model can fetch them next. When Readability finds no article, the whole `<body>` is converted. The libraries
 * load on first use (they are not needed at start).
 */
export async function htmlToMarkdown(html: string, url: string): Promise<{ title: string; markdown: string }> {
  const [{ parseHTML }, readability, { default: TurndownService }] = await Promise.all([
    import("linkedom"), import("@mozilla/readability"), import("turndown"),
  ]);
  // a CommonJS module: bundled and loaded with import(), its exports arrive under `default`
  const Readability = readability.Readability ?? (readability as unknown as { default: typeof readability }).default.Readability;
  const { document } = parseHTML(html);
  if (document.head) {
    // Readability resolves relative links against document.baseURI, which linkedom takes from <base href> only
    const base = document.querySelector("base[href]") ?? document.head.insertBefore(document.createElement("base"), document.head.firstChild);
    try {
      base.setAttribute("href", new URL(base.getAttribute("href") ?? "", url).href);
    } catch {
      base.setAttribute("href", url);
    }
  }
  const title = (document.title ?? "").trim();
  const turndown = new TurndownService({ headingStyle: "atx", codeBlockStyle: "fenced", bulletListMarker: "-" });
  turndown.remove(["script", "style", "noscript", "iframe"] as never);
  let article: { title?: string | null; content?: string | null } | null = null;
  try {
    // Readability mutates the document it reads; the body fallback below parses again
    article = new Readability(document as unknown as ConstructorParameters<typeof Readability>[0], { charThreshold: 100 }).parse();
  } catch {
    article = null;
  }
  const bodyHtml = article?.content ?? parseHTML(html).document.body?.innerHTML ?? "";
  const markdown = turndown.turndown(bodyHtml).replace(/\n{3,}/g, "\n\n").trim();
  return { title: (article?.title ?? title).trim(), markdown };
}
