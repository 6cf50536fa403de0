import { describe, it, expect, vi } from "vitest";
import { z } from "zod";
import { BridgeConfigError, createBridgeLogger, parseBridgeConfig, untilStopped } from "./bridge-host.js";

describe("parseBridgeConfig", () => {
  const schema = z.looseObject({ botToken: z.string().min(1).optional(), apiRoot: z.url().optional() });

  it("passes a valid section (or none) through, keeping keys the daemon owns", () => {
    expect(parseBridgeConfig("telegram", schema, { botToken: "t", policy: "open" })).toEqual({ botToken: "t", policy: "open" });
    expect(parseBridgeConfig("telegram", schema, undefined)).toEqual({});
  });

  it("throws one readable BridgeConfigError with exit code 78", () => {
    const err = (() => {
      try {
        parseBridgeConfig("telegram", schema, { apiRoot: "not a url" });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(BridgeConfigError);
    expect((err as BridgeConfigError).exitCode).toBe(78);
    expect((err as Error).message).toMatch(/^telegram config: apiRoot: /);
  });
});

describe("untilStopped", () => {
  it("resolves when a signal aborts and removes its process listeners", async () => {
    const before = process.listenerCount("SIGTERM");
    const ac = new AbortController();
    const p = untilStopped([undefined, ac.signal]);
    expect(process.listenerCount("SIGTERM")).toBe(before + 1);
    ac.abort();
    await expect(p).resolves.toBe("aborted");
    expect(process.listenerCount("SIGTERM")).toBe(before);
  });

  it("resolves on SIGTERM", async () => {
    const p = untilStopped([]);
    process.emit("SIGTERM", "SIGTERM");
    await expect(p).resolves.toBe("SIGTERM");
  });
});

describe("createBridgeLogger", () => {
  it("never writes a bot token, even inside an error message", async () => {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation(((chunk: string, cb?: () => void) => {
      out.push(String(chunk));
      cb?.();
      return true;
    }) as typeof process.stdout.write);
    try {
      const logger = createBridgeLogger("telegram", ["123456:SECRET-BOT-TOKEN", undefined, "short"]);
      logger.warn({ err: "GET https://api.telegram.org/bot123456:SECRET-BOT-TOKEN/getMe failed", botToken: "x" }, "oops");
      await new Promise((r) => setTimeout(r, 20));
    } finally {
      spy.mockRestore();
    }
    const line = out.join("");
    expect(line).toContain("oops");
    expect(line).toContain("bridge-telegram");
    expect(line).not.toContain("SECRET-BOT-TOKEN");
    expect(line).toContain('"botToken":"[redacted]"');
  });
});
