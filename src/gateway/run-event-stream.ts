import { TickBatch } from "./tick-batch.js";

/** A run event as the transports receive it from a run's subscriber. */
export interface RunEvent {
  event: string;
  payload: unknown;
  seq: number;
}

/**
 * One Server-Sent Events message: `event:`, `data:` (one line per line of `data`), `id:` when given, then a blank
 * line (WHATWG HTML "Server-sent events", §9.2.5). The same text hono's `writeSSE` writes. Throws a RangeError when
 * `event` or `id` holds a line break (it would end the field early).
 */
export function sseMessage(event: string, data: string, id?: string): string {
  if (/[\r\n]/.test(event) || (id !== undefined && /[\r\n]/.test(id))) throw new RangeError("an SSE event name or id must not contain a line break");
  const lines = data.includes("\n") || data.includes("\r") ? data.split(/\r\n|\r|\n/).map((l) => `data: ${l}`).join("\n") : `data: ${data}`;
  return `event: ${event}\n${lines}\n${id !== undefined ? `id: ${id}\n` : ""}\n`;
}

/**
 * The body of `POST /api/chat` with `Accept: text/event-stream`: `run.accepted` (`accepted`, JSON) first, then the
 * run's events (`early`, those seen before the stream existed, then every event `attach`'s callback receives),
 * each as an SSE message named after the event with its JSON payload and `id` = the run's seq; the stream ends
 * after `run.done` or `run.error`. The messages of one tick of the event loop go out as one chunk (one socket write,
 * see {@link TickBatch}); none waits for a later tick. A client that goes away cancels the stream: later events are
 * dropped (the run itself goes on and is stored).
 */
export function runEventStream(accepted: unknown, early: readonly RunEvent[], attach: (deliver: (ev: RunEvent) => void) => void): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let open = true;
  let ended = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const batch = new TickBatch<string>((texts) => {
        if (!open) return;
        controller.enqueue(encoder.encode(texts.length === 1 ? texts[0]! : texts.join("")));
        if (ended) {
          open = false;
          controller.close();
        }
      });
      const deliver = (ev: RunEvent): void => {
        if (ended) return;
        batch.push(sseMessage(ev.event, JSON.stringify(ev.payload), String(ev.seq)));
        if (ev.event === "run.done" || ev.event === "run.error") ended = true;
      };
      batch.push(sseMessage("run.accepted", JSON.stringify(accepted)));
      for (const ev of early) deliver(ev);
      attach(deliver);
    },
    cancel() {
      open = false;
    },
  });
}
