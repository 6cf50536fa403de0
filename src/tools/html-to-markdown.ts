/**
 * Readable content of an HTML page as Markdown: `linkedom` parses, Mozilla's `@mozilla/readability` (the
 * Firefox Reader View algorithm) picks the article, `turndown` writes Markdown. When Readability finds no
 * article, the whole `<body>` is converted. The libraries load on first use (they are not needed at start).
 */
export async function htmlToMarkdown(html: string): Promise<{ title: string; markdown: string }> {
  const [{ parseHTML }, readability, { default: TurndownService }] = await Promise.all([
    import("linkedom"), import("@mozilla/readability"), import("turndown"),
  ]);
  // a CommonJS module: bundled and loaded with import(), its exports arrive under `default`
  const Readability = readability.Readability ?? (readability as unknown as { default: typeof readability }).default.Readability;
  const { document } = parseHTML(html);
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
