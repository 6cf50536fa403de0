import { describe, it, expect, vi, afterEach } from "vitest";
import { startTypingLoop } from "./typing-loop.js";

afterEach(() => {
  vi.useRealTimers();
});

describe("startTypingLoop", () => {
  it("sends at once and every interval until stopped", async () => {
    vi.useFakeTimers();
    const send = vi.fn(async () => true);
    const loop = startTypingLoop(send, { intervalMs: 4000 });
    expect(send).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(8000);
    expect(send).toHaveBeenCalledTimes(3);
    loop.stop();
    loop.stop();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(send).toHaveBeenCalledTimes(3);
  });

  it("keeps going when send throws or rejects, logging at debug", async () => {
    vi.useFakeTimers();
    const debug = vi.fn();
    let calls = 0;
    const send = (): Promise<unknown> => {
      calls++;
      if (calls === 1) throw new Error("sync failure");
      return Promise.reject(new Error("HTTP 500"));
    };
    const loop = startTypingLoop(send, { intervalMs: 1000, logger: { debug } });
    await vi.advanceTimersByTimeAsync(2500);
    expect(calls).toBe(3);
    expect(debug).toHaveBeenCalledTimes(3);
    expect(debug.mock.calls[0]![1]).toBeInstanceOf(Error);
    loop.stop();
  });

  it("skips a tick while the previous call is still pending", async () => {
    vi.useFakeTimers();
    let release: () => void = () => {};
    const send = vi.fn(() => new Promise<void>((resolve) => (release = resolve)));
    const loop = startTypingLoop(send, { intervalMs: 1000 });
    await vi.advanceTimersByTimeAsync(3500);
    expect(send).toHaveBeenCalledTimes(1);
    release();
    await vi.advanceTimersByTimeAsync(1000);
    expect(send).toHaveBeenCalledTimes(2);
    loop.stop();
  });

  it("rejects a non-positive interval", () => {
    expect(() => startTypingLoop(async () => {}, { intervalMs: 0 })).toThrow(RangeError);
  });
});
