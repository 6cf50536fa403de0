import { describe, expect, it } from "vitest";
import { ProtocolError, type AgentdClient } from "../../protocol/client.js";
import type { Delivery } from "../../protocol/deliveries.js";
import { DeliveryConsumer, type DeliveryAdapter } from "./delivery-consumer.js";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** A client that records requests (answering them at once) and lets the test push events and state changes. */
function fakeClient(failFirst: Record<string, number> = {}) {
  const requests: Array<{ method: string; params: any }> = [];
  let push: (event: string, payload: unknown) => void = () => {};
  let state: (s: "open") => void = () => {};
  const client = {
    onPush: (l: typeof push) => ((push = l), () => {}),
    onState: (l: typeof state) => ((state = l), () => {}),
    async request(method: string, params: unknown) {
      requests.push({ method, params });
      if ((failFirst[method] ?? 0) > 0) {
        failFirst[method]!--;
        throw new ProtocolError({ code: "unavailable", message: `connection lost during ${method}` });
      }
      return method === "deliveries.subscribe" ? { open: 0 } : {};
    },
  };
  return { client: client as unknown as AgentdClient, requests, offer: (d: Delivery) => push("delivery.offer", { delivery: d, ackTimeoutMs: 1000 }), reconnect: () => state("open") };
}

function adapter(opts: { failAt?: number; permanent?: boolean } = {}) {
  const sent: Array<{ chatId: string; replyTo?: string | undefined; text: string }> = [];
  let n = 0;
  const a: DeliveryAdapter = {
    platform: "test",
    format: (md) => md.split("|"),
    async sendDelivery(address, chunks, onSent) {
      const ids: string[] = [];
      for (const [i, text] of chunks.entries()) {
        if (opts.failAt !== undefined && sent.length === opts.failAt) throw new Error("403: Forbidden: bot was blocked by the user");
        sent.push({ chatId: address.chatId, replyTo: i === 0 ? address.replyTo : undefined, text });
        const id = `p${++n}`;
        ids.push(id);
        onSent(id);
      }
      return ids;
    },
    isPermanent: () => opts.permanent ?? false,
  };
  return { a, sent };
}

const delivery = (over: Partial<Delivery> = {}): Delivery => ({
  id: "d1", address: { platform: "test", chatId: "c1", replyTo: "42" }, text: "one|two|three", runId: null, idempotencyKey: null,
  state: "sending", attempts: 1, lastError: null, platformMessageIds: [], attachments: [], createdAt: "", updatedAt: "", deliveredAt: null, ...over,
});
const settle = () => new Promise((r) => setTimeout(r, 30));

describe("DeliveryConsumer", () => {
  it("subscribes at start and after each reconnect, sends chunks in order and acks each one as it goes out", async () => {
    const c = fakeClient();
    const { a, sent } = adapter();
    new DeliveryConsumer({ client: c.client, adapter: a, logger: quiet }).start();
    c.reconnect();
    c.offer(delivery());
    await settle();
    expect(sent).toEqual([{ chatId: "c1", replyTo: "42", text: "one" }, { chatId: "c1", text: "two" }, { chatId: "c1", text: "three" }]);
    expect(c.requests.map((r) => [r.method, r.params.platformMessageIds?.join(","), r.params.complete])).toEqual([
      ["deliveries.subscribe", undefined, undefined],
      ["deliveries.subscribe", undefined, undefined],
      ["deliveries.ack", "p1", false],
      ["deliveries.ack", "p1,p2", false],
      ["deliveries.ack", "p1,p2,p3", true],
    ]);
  });

  it("skips the chunks an earlier attempt sent, and acks again (without sending) a delivery it already sent", async () => {
    const c = fakeClient();
    const { a, sent } = adapter();
    new DeliveryConsumer({ client: c.client, adapter: a, logger: quiet }).start();
    c.offer(delivery({ platformMessageIds: ["x1", "x2"] }));
    await settle();
    expect(sent).toEqual([{ chatId: "c1", replyTo: undefined, text: "three" }]);
    c.offer(delivery({ platformMessageIds: ["x1", "x2"], attempts: 2 }));
    await settle();
    expect(sent).toHaveLength(1);
    expect(c.requests.filter((r) => r.method === "deliveries.ack").map((r) => r.params.platformMessageIds.join(","))).toEqual(["x1,x2,p1", "x1,x2,p1"]);
  });

  it("retries an ack lost with the connection", async () => {
    const c = fakeClient({ "deliveries.ack": 1 });
    const { a } = adapter();
    new DeliveryConsumer({ client: c.client, adapter: a, logger: quiet }).start();
    c.offer(delivery({ text: "only" }));
    await new Promise((r) => setTimeout(r, 300));
    expect(c.requests.filter((r) => r.method === "deliveries.ack")).toHaveLength(2);
  });

  it("reports a platform error as a failure, permanent when the adapter says so", async () => {
    const c = fakeClient();
    const { a } = adapter({ failAt: 1, permanent: true });
    new DeliveryConsumer({ client: c.client, adapter: a, logger: quiet }).start();
    c.offer(delivery());
    await settle();
    expect(c.requests.map((r) => r.method)).toEqual(["deliveries.subscribe", "deliveries.ack", "deliveries.fail"]);
    expect(c.requests[2]!.params).toEqual({ id: "d1", reason: "403: Forbidden: bot was blocked by the user", retryable: false });
  });

  describe("files (issue 12)", () => {
    const pdf = { path: "vault/a.pdf", name: "a.pdf", mime: "application/pdf", bytes: 3, kind: "document" as const };
    const big = { path: "uploads/big.mp4", name: "big.mp4", mime: "video/mp4", bytes: 60_000_000, kind: "video" as const };

    function withFiles(limit: number) {
      const base = adapter();
      const files: Array<{ name: string; bytes: string; replyTo?: string | undefined }> = [];
      const a: DeliveryAdapter = {
        ...base.a,
        maxAttachmentBytes: () => limit,
        async sendAttachment(address, att, bytes) {
          files.push({ name: att.name, bytes: Buffer.from(bytes).toString(), replyTo: address.replyTo });
          return `f${files.length}`;
        },
      };
      const fetched: Array<[string, number, number]> = [];
      const fetchAttachment = async (id: string, index: number, maxBytes: number) => {
        fetched.push([id, index, maxBytes]);
        return new Uint8Array(Buffer.from("pdf"));
      };
      return { a, sent: base.sent, files, fetched, fetchAttachment };
    }

    it("sends the text, then each file with its fetched bytes, counting files in the acknowledged ids", async () => {
      const c = fakeClient();
      const f = withFiles(50_000_000);
      new DeliveryConsumer({ client: c.client, adapter: f.a, logger: quiet, fetchAttachment: f.fetchAttachment }).start();
      c.offer(delivery({ text: "here", attachments: [pdf] }));
      await settle();
      expect(f.sent.map((m) => m.text)).toEqual(["here"]);
      expect(f.files).toEqual([{ name: "a.pdf", bytes: "pdf", replyTo: undefined }]);
      expect(f.fetched).toEqual([["d1", 0, 50_000_000]]);
      expect(c.requests.filter((r) => r.method === "deliveries.ack").map((r) => [r.params.platformMessageIds.join(","), r.params.complete])).toEqual([["p1", false], ["p1,f1", true]]);
    });

    it("a file alone replies to the message; a resend skips the parts already sent", async () => {
      const c = fakeClient();
      const f = withFiles(50_000_000);
      new DeliveryConsumer({ client: c.client, adapter: f.a, logger: quiet, fetchAttachment: f.fetchAttachment }).start();
      c.offer(delivery({ id: "d2", text: "", attachments: [pdf] }));
      c.offer(delivery({ id: "d3", text: "t", attachments: [pdf, { ...pdf, name: "b.pdf" }], platformMessageIds: ["x1", "x2"] }));
      await settle();
      expect(f.sent).toEqual([]);
      expect(f.files).toEqual([{ name: "a.pdf", bytes: "pdf", replyTo: "42" }, { name: "b.pdf", bytes: "pdf", replyTo: undefined }]);
    });

    it("names a file over the platform's limit in a text line instead of sending it", async () => {
      const c = fakeClient();
      const f = withFiles(50_000_000);
      new DeliveryConsumer({ client: c.client, adapter: f.a, logger: quiet, fetchAttachment: f.fetchAttachment }).start();
      c.offer(delivery({ text: "", attachments: [big] }));
      await settle();
      expect(f.files).toEqual([]);
      expect(f.fetched).toEqual([]);
      expect(f.sent.map((m) => m.text)).toEqual(["(big.mp4, 60 MB: too large to send here; the limit is 50 MB)"]);
      expect(c.requests.at(-1)).toMatchObject({ method: "deliveries.ack", params: { platformMessageIds: ["p1"], complete: true } });
    });
  });
});
