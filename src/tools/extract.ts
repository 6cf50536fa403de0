import { Worker } from "node:worker_threads";
import { workerEntryUrl } from "../worker-entry.js";
import { AgentdError } from "../errors.js";
import { htmlToMarkdown } from "./html-to-markdown.js";
import type { ExtractWorkerData, ExtractWorkerMessage } from "./extract-worker-main.js";

/** Heap limit of one extraction worker, in MiB: a hostile page cannot take the daemon's memory with it. */
export const EXTRACT_WORKER_HEAP_MB = 256;

/** Where the extraction worker's entry is ({@link workerEntryUrl}): `extract-worker.js` beside this module, or above the bundle. */
const workerUrl = (): URL | null => workerEntryUrl(import.meta.url, "src/tools/extract-worker");

/**
 * {@link htmlToMarkdown} in a worker thread: Readability over linkedom takes seconds for a large page (about
 * 1.5 s for 170 KB of HTML on a busy 2-core machine), which would stall every other session on the event loop.
 * The worker is terminated when `signal` aborts (the fetch's timeout or the run's stop); its heap is capped at
 * {@link EXTRACT_WORKER_HEAP_MB}. Without a worker entry file it runs here. Throws AgentdError `timeout` /
 * `aborted`, or `unavailable` when the extraction failed.
 */
export function extractInWorker(html: string, url: string, signal: AbortSignal): Promise<{ title: string; markdown: string }> {
  const entry = workerUrl();
  if (!entry) return htmlToMarkdown(html, url);
  return new Promise((resolve, reject) => {
    const worker = new Worker(entry, { workerData: { html, url } satisfies ExtractWorkerData, resourceLimits: { maxOldGenerationSizeMb: EXTRACT_WORKER_HEAP_MB }, stdout: false, stderr: false });
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      void worker.terminate();
      fn();
    };
    const onAbort = () => finish(() => reject(new AgentdError(signal.reason?.name === "TimeoutError" ? "timeout" : "aborted", `extracting ${url} was stopped (timeout or abort)`)));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    worker.once("message", (m: ExtractWorkerMessage) => finish(() => (m.ok ? resolve({ title: m.title, markdown: m.markdown }) : reject(new AgentdError("unavailable", `could not extract ${url}: ${m.error}`)))));
    worker.once("error", (err: Error) => finish(() => reject(new AgentdError("unavailable", `could not extract ${url}: ${err.message}`))));
    worker.once("exit", (code) => finish(() => reject(new AgentdError("unavailable", `could not extract ${url}: the worker exited (${code})`))));
  });
}
