import { readFile } from "node:fs/promises";
import type { Attachment } from "../../protocol/chat.js";
import { attachmentPath, isPdf, isTextDocument } from "./files.js";

/**
 * The text of a document attachment: a text file (plain, markdown, CSV, JSON, YAML…) decoded as UTF-8, or a PDF's
 * text layer extracted with unpdf (Mozilla pdf.js, pages joined by blank lines). Undefined for any other type
 * (images, audio, archives…) and for a PDF without a text layer (a scan). Throws when the file cannot be read.
 */
export async function documentText(dir: string, a: Attachment): Promise<string | undefined> {
  const file = attachmentPath(dir, a);
  if (isPdf(a)) {
    const { extractText, getDocumentProxy } = await import("unpdf");
    const pdf = await getDocumentProxy(new Uint8Array(await readFile(file)));
    try {
      const { text } = await extractText(pdf, { mergePages: false });
      const joined = text.map((t) => t.trim()).join("\n\n").trim();
      return joined || undefined;
    } finally {
      await pdf.cleanup();
    }
  }
  if (isTextDocument(a)) return (await readFile(file, "utf8")).replace(/^\uFEFF/, "");
  return undefined;
}

/** `text` cut to `maxChars` characters from `offset`, with a marker saying how many are left and how to read on. */
export function clipText(text: string, maxChars: number, offset = 0, path = ""): string {
  const part = text.slice(offset, offset + maxChars);
  const rest = text.length - offset - part.length;
  if (rest <= 0) return part;
  return `${part}\n[… ${rest.toLocaleString("en-US")} more characters: attachment_read with path ${JSON.stringify(path)} and offset ${offset + part.length}]`;
}
