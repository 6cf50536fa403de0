import { describe, it, expect } from "vitest";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { ProtocolError, type AgentdClient } from "../../protocol/client.js";
import type { RunEvent } from "../../protocol/events.js";
import { BridgeRuntime, idempotencyKeyOf, type IncomingMessage, type PlatformAdapter } from "./bridge-runtime.js";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const ref = { runId: "r1", sessionId: "s1" };
const usage = { promptTokens: 0, completionTokens: 0, cachedTokens: 0, costUsd: null };

/**
 * A client whose `send` records its arguments and streams `events`, one per macrotask; `failures` are thrown by
 * the first sends; `request` records other calls (messages.send).
 */
function fakeClient(events: RunEvent[], failures: Error[] = []) {
  const calls: Array<{ text: string; opts: Record<string, unknown> }> = [];
  const requests: Array<{ method: string; params: any }> = [];
  const client = {
    async send(text: string, opts: Record<string, unknown>) {
      calls.push({ text, opts });
      const failure = failures.shift();
      if (failure) throw failure;
      return {
        ...ref, duplicate: false,
        events: (async function* () {
          for (const ev of events) {
            await new Promise((r) => setTimeout(r, 5));
            yield ev;
          }
        })(),
      };
    },
    async request(method: string, params: unknown) {
      requests.push({ method, params });
      return {};
    },
  };
  return { client: client as unknown as AgentdClient, calls, requests };
}

function recordingAdapter(opts: { typingFails?: boolean } = {}) {
  const log: string[] = [];
  const adapter: PlatformAdapter = {
    platform: "test",
    typingIntervalMs: 1_000,
    format: (md) => [md.toUpperCase()],
    async sendDelivery(_a, chunks, onSent) {
      log.push(`reply:${chunks.join("|")}`);
      onSent("1");
      return ["1"];
    },
    async sendTyping() {
      log.push("typing");
      if (opts.typingFails) throw new Error("HTTP 500");
    },
    async stopTyping() {
      log.push("paused");
    },
  };
  return { adapter, log };
}

const msg: IncomingMessage = {
  messageId: "42",
  text: "hi",
  channel: { platform: "test", chatId: "c1", userId: "u1", isGroup: false, mentioned: true },
};

describe("BridgeRuntime", () => {
  it("sends with a stable idempotency key and shows typing while the run runs; the reply itself comes from the outbox", async () => {
    const { client, calls } = fakeClient([
      { event: "run.status", payload: { ...ref, status: "running" }, seq: 1 },
      { event: "run.delta", payload: { ...ref, text: "hello" }, seq: 2 },
      { event: "run.done", payload: { ...ref, messageId: "m", status: "ok", text: "hello", model: "x", usage }, seq: 3 },
    ]);
    const { adapter, log } = recordingAdapter({ typingFails: true });
    await new BridgeRuntime({ client, adapter, logger: quiet }).handle(msg);
    expect(calls[0]!.opts.idempotencyKey).toBe("test:c1:42");
    expect(calls[0]!.opts.channel).toMatchObject({ chatId: "c1", messageId: "42" });
    expect(log).toEqual(["typing", "paused"]);
  });

  it("never shows typing nor sends anything for a run the daemon ignores", async () => {
    const { client } = fakeClient([{ event: "run.done", payload: { ...ref, messageId: "", status: "ignored", text: "", model: "agentd", usage }, seq: 1 }]);
    const { adapter, log } = recordingAdapter();
    await new BridgeRuntime({ client, adapter, logger: quiet }).handle({ ...msg, channel: { ...msg.channel, isGroup: true, mentioned: false } });
    expect(log).toEqual([]);
  });

  it("sends a message again with the same key while the agent cannot take it, and resolves `receive` once it has it", async () => {
    const { client, calls } = fakeClient(
      [{ event: "run.done", payload: { ...ref, messageId: "m", status: "ok", text: "x", model: "x", usage }, seq: 1 }],
      [new ProtocolError({ code: "timeout", message: "chat.send timed out" })],
    );
    const { adapter } = recordingAdapter();
    await new BridgeRuntime({ client, adapter, logger: quiet }).receive(msg);
    expect(calls.map((c) => c.opts.idempotencyKey)).toEqual(["test:c1:42", "test:c1:42"]);
  });

  it("when the agent refuses the message itself, sends one short line through the outbox, never the error text", async () => {
    const { client, requests } = fakeClient([], [new ProtocolError({ code: "payload_too_large", message: "frame of 2 MB at /x" })]);
    const { adapter, log } = recordingAdapter();
    await new BridgeRuntime({ client, adapter, logger: quiet }).handle(msg);
    expect(log).toEqual([]);
    expect(requests).toEqual([{
      method: "messages.send",
      params: { address: { platform: "test", chatId: "c1", replyTo: "42" }, text: "That message is too long for me.", idempotencyKey: "test:c1:42:refused" },
    }]);
  });

  it("uploads files to the daemon and references them in the message", async () => {
    const bodies: string[] = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        bodies.push(`${req.headers.authorization} ${body}`);
        res.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify({ path: "uploads/1-a.txt", filename: "a.txt", mime: "text/plain", bytes: 3 }));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const { client, calls } = fakeClient([{ event: "run.done", payload: { ...ref, messageId: "m", status: "ok", text: "got it", model: "x", usage }, seq: 1 }]);
      const { adapter, log } = recordingAdapter();
      const runtime = new BridgeRuntime({ client, adapter, logger: quiet, endpoint: async () => ({ httpUrl: url, wsUrl: "", token: "tok" }) });
      await runtime.handle({ ...msg, text: "", files: [{ data: new Uint8Array(new TextEncoder().encode("abc")), filename: "a.txt", mime: "text/plain" }] });
      expect(bodies[0]).toMatch(/^Bearer tok [\s\S]*name="file"; filename="a.txt"[\s\S]*abc/);
      expect(calls[0]!.text).toBe("(sent a file)");
      expect(calls[0]!.opts.attachments).toEqual([{ path: "uploads/1-a.txt", filename: "a.txt", mime: "text/plain", bytes: 3 }]);
      expect(log).toEqual([]);
    } finally {
      server.close();
    }
  });

  it("builds idempotency keys from platform, chat, thread and message id", () => {
    expect(idempotencyKeyOf({ ...msg, channel: { ...msg.channel, threadId: "t9" } })).toBe("test:c1:t9:42");
  });
});
