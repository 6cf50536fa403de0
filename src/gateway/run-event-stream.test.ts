import { describe, it, expect } from "vitest";
import { SSEStreamingApi } from "hono/streaming";
import { runEventStream, sseMessage, type RunEvent } from "./run-event-stream.js";

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Reads the stream chunk by chunk as the network would see the writes; `chunks` grows as they arrive. */
function reader(stream: ReadableStream<Uint8Array>): { chunks: string[]; done: Promise<void> } {
  const chunks: string[] = [];
  const r = stream.getReader();
  const decoder = new TextDecoder();
  const done = (async () => {
    for (;;) {
      const { done: end, value } = await r.read();
      if (end) return;
      chunks.push(decoder.decode(value));
    }
  })();
  return { chunks, done };
}

const names = (text: string) => [...text.matchAll(/^event: (.+)$/gm)].map((m) => m[1]);

describe("sseMessage", () => {
  it("writes the same text as hono's writeSSE", async () => {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const api = new SSEStreamingApi(writable, readable);
    const out = reader(api.responseReadable);
    await api.writeSSE({ event: "run.delta", data: '{"text":"a\\nb"}', id: "3" });
    await api.writeSSE({ event: "run.accepted", data: "line one\nline two" });
    await api.close();
    await out.done;
    expect(sseMessage("run.delta", '{"text":"a\\nb"}', "3") + sseMessage("run.accepted", "line one\nline two")).toBe(out.chunks.join(""));
  });

  it("refuses a line break in the event name or id", () => {
    expect(() => sseMessage("run.done\nevent: x", "{}")).toThrow(RangeError);
    expect(() => sseMessage("run.done", "{}", "1\r2")).toThrow(RangeError);
  });
});

describe("runEventStream", () => {
  it("sends run.accepted, the early events, and each tick's events as one chunk, in order, ending after run.done", async () => {
    let deliver!: (ev: RunEvent) => void;
    const early: RunEvent[] = [{ event: "run.started", payload: { runId: "r" }, seq: 1 }];
    const out = reader(runEventStream({ runId: "r", sessionId: "s" }, early, (d) => (deliver = d)));
    await tick();
    expect(out.chunks.length).toBe(1);
    expect(names(out.chunks[0]!)).toEqual(["run.accepted", "run.started"]);
    // one model read carrying two deltas and the end: one chunk
    deliver({ event: "run.delta", payload: { text: "Hel" }, seq: 2 });
    deliver({ event: "run.delta", payload: { text: "lo" }, seq: 3 });
    deliver({ event: "run.done", payload: { text: "Hello" }, seq: 4 });
    deliver({ event: "run.delta", payload: { text: "late" }, seq: 5 });
    await out.done;
    expect(out.chunks.length).toBe(2);
    expect(out.chunks[1]).toBe(
      sseMessage("run.delta", '{"text":"Hel"}', "2") + sseMessage("run.delta", '{"text":"lo"}', "3") + sseMessage("run.done", '{"text":"Hello"}', "4"),
    );
  });

  it("does not hold a lone event back until the next one", async () => {
    let deliver!: (ev: RunEvent) => void;
    const out = reader(runEventStream({ runId: "r" }, [], (d) => (deliver = d)));
    await tick();
    deliver({ event: "run.delta", payload: { text: "first" }, seq: 1 });
    await tick();
    // the delta is out while the run is still producing
    expect(out.chunks.map(names)).toEqual([["run.accepted"], ["run.delta"]]);
    deliver({ event: "run.error", payload: { error: { code: "internal", message: "x" } }, seq: 2 });
    await out.done;
    expect(out.chunks.map(names)).toEqual([["run.accepted"], ["run.delta"], ["run.error"]]);
  });

  it("drops later events once the client has gone", async () => {
    let deliver!: (ev: RunEvent) => void;
    const stream = runEventStream({ runId: "r" }, [], (d) => (deliver = d));
    await stream.cancel();
    expect(() => deliver({ event: "run.done", payload: {}, seq: 1 })).not.toThrow();
    await tick();
  });
});
