import { describe, expect, it } from "vitest";
import type { AgentdClient } from "../../protocol/client.js";
import type { Delivery } from "../../protocol/deliveries.js";
import { DeliveryConsumer, type DeliveryAdapter } from "./delivery-consumer.js";
import { LiveReplies, draftView, isRunReply, type DraftAdapter } from "./live-reply.js";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const address = { platform: "test", chatId: "c1", replyTo: "42" };

/** A chat that keeps each message's current text, like the user sees it; `failFinish` refuses the final edit. */
function chat(opts: { failFinish?: boolean; sendDelayMs?: number } = {}) {
  const messages = new Map<string, { text: string; history: string[]; deleted: boolean }>();
  let n = 0;
  const log: string[] = [];
  const post = (text: string) => {
    const id = `m${++n}`;
    messages.set(id, { text, history: [], deleted: false });
    return id;
  };
  const drafts: DraftAdapter = {
    maxChars: 40,
    intervalMs: () => 20,
    async send(_a, text) {
      if (opts.sendDelayMs) await new Promise((r) => setTimeout(r, opts.sendDelayMs));
      log.push("send");
      return post(text);
    },
    async edit(_a, id, text) {
      log.push("edit");
      const m = messages.get(id)!;
      m.history.push(m.text);
      m.text = text;
    },
    async finish(_a, id, chunk) {
      log.push("finish");
      if (opts.failFinish) throw new Error("400: can't parse entities");
      const m = messages.get(id)!;
      m.history.push(m.text);
      m.text = chunk;
    },
    async delete(_a, id) {
      log.push("delete");
      messages.get(id)!.deleted = true;
    },
  };
  const adapter: DeliveryAdapter = {
    platform: "test",
    format: (md) => md.split("|").map((c) => `<${c}>`),
    async sendDelivery(_address, chunks, onSent) {
      return chunks.map((c) => {
        log.push("post");
        const id = post(c);
        onSent(id);
        return id;
      });
    },
  };
  const visible = () => [...messages.values()].filter((m) => !m.deleted).map((m) => m.text);
  return { drafts, adapter, messages, visible, log };
}

function fakeClient() {
  const acks: Array<{ ids: string[]; complete: boolean }> = [];
  let push: (event: string, payload: unknown) => void = () => {};
  const client = {
    onPush: (l: typeof push) => ((push = l), () => {}),
    onState: () => () => {},
    async request(method: string, params: any) {
      if (method === "deliveries.ack") acks.push({ ids: params.platformMessageIds, complete: params.complete });
      return method === "deliveries.subscribe" ? { open: 0 } : {};
    },
  };
  return { client: client as unknown as AgentdClient, acks, offer: (d: Delivery) => push("delivery.offer", { delivery: d, ackTimeoutMs: 1000 }) };
}

const reply = (over: Partial<Delivery> = {}): Delivery => ({
  id: "d1", address, text: "one|two", runId: "r1", idempotencyKey: null, state: "sending", attempts: 1, lastError: null,
  platformMessageIds: [], attachments: [], createdAt: "", updatedAt: "", deliveredAt: null, ...over,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await sleep(5);
  expect(check()).toBe(true);
}

function setup(opts: Parameters<typeof chat>[0] = {}) {
  const c = chat(opts);
  c.adapter.sendAttachment = async (_a, file) => {
    c.log.push("file");
    return `file:${file.name}`;
  };
  const live = new LiveReplies(c.drafts, quiet);
  const f = fakeClient();
  const consumer = new DeliveryConsumer({ client: f.client, adapter: c.adapter, logger: quiet, drafts: live, fetchAttachment: async () => new Uint8Array(3) });
  consumer.start();
  return { ...c, ...f, live, consumer };
}

describe("draftView", () => {
  it("marks the text unfinished and cuts it to the platform limit", () => {
    expect(draftView("  hello wor", 4096)).toBe("hello wor …");
    expect(draftView("   ", 4096)).toBe("");
    const long = draftView("x".repeat(100), 40);
    expect(long).toHaveLength(40);
    expect(long.endsWith("x …")).toBe(true);
    expect(draftView(`${"x".repeat(37)}😀`, 40)).toBe(`${"x".repeat(37)} …`); // never half an emoji
  });
});

describe("isRunReply", () => {
  it("is a run's text reply or voice note, not an approval prompt, a notice or a file sent mid-run", () => {
    const voice = { path: "uploads/a.ogg", name: "a.ogg", mime: "audio/ogg", bytes: 3, kind: "voice" as const };
    expect(isRunReply(reply())).toBe(true);
    expect(isRunReply(reply({ text: "", attachments: [voice] }))).toBe(true);
    expect(isRunReply(reply({ runId: null }))).toBe(false);
    expect(isRunReply(reply({ idempotencyKey: "approval:a1:settled:test:c1" }))).toBe(false);
    expect(isRunReply(reply({ buttons: [{ text: "Approve", data: "ap:1:once" }] }))).toBe(false);
    expect(isRunReply(reply({ text: "here it is", attachments: [{ ...voice, kind: "document" }] }))).toBe(false);
  });
});

describe("live replies", () => {
  it("edits one draft as the text streams, then turns it into the reply's first chunk; one message per chunk, acked", async () => {
    const s = setup();
    const d = s.live.open("r1", address);
    d.push("Hello");
    await until(() => s.visible().length === 1);
    expect(s.visible()).toEqual(["Hello …"]);
    d.push(" world");
    await until(() => s.visible()[0] === "Hello world …");
    d.end();
    s.offer(reply());
    await until(() => s.acks.some((a) => a.complete));
    expect(s.visible()).toEqual(["<one>", "<two>"]);
    expect(s.log.filter((x) => x === "send")).toHaveLength(1);
    expect(s.acks).toEqual([{ ids: ["m1"], complete: false }, { ids: ["m1", "m2"], complete: true }]);
  });

  it("keeps one draft per run when the same message is handled twice", async () => {
    const s = setup();
    const a = s.live.open("r1", address);
    const b = s.live.open("r1", address);
    a.push("once");
    b.push("once");
    await until(() => s.visible().length === 1);
    await sleep(60);
    expect(s.visible()).toEqual(["once …"]);
  });

  it("never shows a draft for an answer that ends within the first interval", async () => {
    const s = setup();
    const d = s.live.open("r1", address);
    d.push("quick");
    d.end();
    s.offer(reply({ text: "quick" }));
    await until(() => s.acks.some((a) => a.complete));
    await sleep(60);
    expect(s.visible()).toEqual(["<quick>"]);
    expect(s.log).toEqual(["post"]);
  });

  it("waits for a draft send in flight when the reply arrives, and edits that message (no second copy)", async () => {
    const s = setup({ sendDelayMs: 80 });
    const d = s.live.open("r1", address);
    d.push("partial");
    await sleep(30); // the draft's send started after 20 ms and is in flight for 80
    d.end();
    s.offer(reply({ text: "done" }));
    await until(() => s.acks.some((a) => a.complete));
    expect(s.visible()).toEqual(["<done>"]);
    expect(s.log).toEqual(["send", "finish"]);
  });

  it("deletes the draft and sends the reply anew when the platform refuses the edit", async () => {
    const s = setup({ failFinish: true });
    const d = s.live.open("r1", address);
    d.push("partial text");
    await until(() => s.visible().length === 1);
    d.end();
    s.offer(reply({ text: "final" }));
    await until(() => s.acks.some((a) => a.complete));
    expect(s.visible()).toEqual(["<final>"]);
    expect(s.log).toEqual(["send", "finish", "delete", "post"]);
  });

  it("leaves the draft alone for a mid-run approval prompt, and deletes it after a voice-note reply", async () => {
    const s = setup();
    const d = s.live.open("r1", address);
    d.push("thinking");
    await until(() => s.visible().length === 1);
    s.offer(reply({ id: "d0", text: "May I?", buttons: [{ text: "Yes", data: "ap:1:once" }], idempotencyKey: "approval:1:test:c1" }));
    await until(() => s.acks.length === 1);
    expect(s.visible()).toEqual(["thinking …", "<May I?>"]);
    d.end();
    const voice = { path: "uploads/a.ogg", name: "a.ogg", mime: "audio/ogg", bytes: 3, kind: "voice" as const };
    s.offer(reply({ text: "", attachments: [voice] }));
    await until(() => s.acks.length === 2);
    expect(s.visible()).toEqual(["<May I?>"]);
    expect(s.log.slice(-2)).toEqual(["file", "delete"]); // the voice note first, then the draft goes
  });

  it("on a clean stop deletes drafts nobody claimed (their replies come later as new messages)", async () => {
    const s = setup();
    const d = s.live.open("r1", address);
    d.push("half an answer");
    await until(() => s.visible().length === 1);
    await s.live.discardAll(1000);
    expect(s.visible()).toEqual([]);
    d.push(" more");
    await sleep(60);
    expect(s.visible()).toEqual([]);
  });
});
