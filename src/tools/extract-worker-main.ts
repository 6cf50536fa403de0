import { parentPort, workerData } from "node:worker_threads";
import { htmlToMarkdown } from "./html-to-markdown.js";

/** What the extraction worker gets: the page's HTML and its final URL. */
export interface ExtractWorkerData {
  html: string;
  url: string;
}

/** What it answers: the extraction, or the error's message. */
export type ExtractWorkerMessage = { ok: true; title: string; markdown: string } | { ok: false; error: string };

const data = workerData as ExtractWorkerData;
try {
  const out = await htmlToMarkdown(data.html, data.url);
  parentPort!.postMessage({ ok: true, ...out } satisfies ExtractWorkerMessage);
} catch (err) {
  parentPort!.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) } satisfies ExtractWorkerMessage);
}
