import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { Store } from "../store/store.js";
import { DeliveriesConfig } from "../config/sections/deliveries.js";
import { Outbox } from "./outbox.js";
import { deliverRunReply } from "./run-reply.js";
import type { Delivery } from "../../protocol/deliveries.js";

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function setup(cfg: Partial<DeliveriesConfig> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "agentd-outbox-"));
  const store = new Store(join(dir, "agentd.db"));
  const config = DeliveriesConfig.parse({ ackTimeoutMs: 200, maxAttempts: 3, retryInitialMs: 0, ...cfg });
  const outbox = new Outbox({ store, config: () => config, logger: pino({ level: "silent" }) });
  outbox.start();
  cleanups.push(() => {
    outbox.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, store, outbox };
}

/** A subscribed bridge that records every offer; `next()` waits for the next one. */
function bridge(outbox: Outbox, platform = "telegram") {
  const offers: Delivery[] = [];
  const waiters: Array<(d: Delivery) => void> = [];
  const conn = new AbortController();
  const open = outbox.subscribe(platform, ({ delivery }) => {
    offers.push(delivery);
    waiters.shift()?.(delivery);
  }, conn.signal);
  let read = 0;
  const next = (timeoutMs = 5000) =>
    new Promise<Delivery>((resolve, reject) => {
      if (read < offers.length) return resolve(offers[read++]!);
      const timer = setTimeout(() => reject(new Error("no offer in time")), timeoutMs);
      waiters.push((d) => {
        clearTimeout(timer);
        read++;
        resolve(d);
      });
    });
  return { offers, next, open, close: () => conn.abort() };
}

const chat = { platform: "telegram", chatId: "42" };

describe("outbox", () => {
  it("stores a delivery before any bridge sees it, and offers it once a bridge subscribes", async () => {
    const { outbox, store } = setup();
    const d = outbox.enqueue({ address: chat, text: "hello" });
    expect(store.deliveries.get(d.id)?.state).toBe("pending");
    const b = bridge(outbox);
    expect(b.open).toBe(1);
    const offered = await b.next();
    expect(offered).toMatchObject({ id: d.id, text: "hello", state: "sending", attempts: 1 });
    const acked = outbox.ack(d.id, ["m1"]);
    expect(acked).toMatchObject({ state: "delivered", platformMessageIds: ["m1"] });
    expect(acked.deliveredAt).not.toBeNull();
  });

  it("offers one delivery per chat at a time, in order; other chats in parallel", async () => {
    const { outbox } = setup();
    const b = bridge(outbox);
    const a1 = outbox.enqueue({ address: chat, text: "a1" });
    const a2 = outbox.enqueue({ address: chat, text: "a2" });
    const c1 = outbox.enqueue({ address: { platform: "telegram", chatId: "7" }, text: "c1" });
    expect((await b.next()).id).toBe(a1.id);
    expect((await b.next()).id).toBe(c1.id);
    await new Promise((r) => setTimeout(r, 50));
    expect(b.offers.map((o) => o.text)).toEqual(["a1", "c1"]);
    outbox.ack(a1.id, ["1"]);
    expect((await b.next()).id).toBe(a2.id);
  });

  it("offers an unacknowledged delivery again after the ack timeout, and fails it after maxAttempts", async () => {
    const { outbox } = setup({ ackTimeoutMs: 100, maxAttempts: 2 });
    const b = bridge(outbox);
    const d = outbox.enqueue({ address: chat, text: "x" });
    const after = outbox.enqueue({ address: chat, text: "after" });
    expect((await b.next()).attempts).toBe(1);
    expect((await b.next()).attempts).toBe(2);
    const third = await b.next();
    expect(third.id).toBe(after.id); // the chat moves on once the first failed
    const failed = outbox.get(d.id);
    expect(failed.state).toBe("failed");
    expect(failed.lastError).toMatch(/not acknowledged within 100 ms \(2 attempts\)/);
  });

  it("offers what a disconnected bridge held to the next one, and keeps the chunks it had sent", async () => {
    const { outbox } = setup({ ackTimeoutMs: 60_000 });
    const first = bridge(outbox);
    const d = outbox.enqueue({ address: chat, text: "long" });
    await first.next();
    outbox.ack(d.id, ["c1"], false);
    first.close();
    const second = bridge(outbox);
    const again = await second.next();
    expect(again).toMatchObject({ id: d.id, attempts: 2, platformMessageIds: ["c1"] });
  });

  it("retries a retryable failure, fails a permanent one at once, and a retry offers it again", async () => {
    const { outbox } = setup();
    const b = bridge(outbox);
    const d = outbox.enqueue({ address: chat, text: "x" });
    await b.next();
    outbox.fail(d.id, "network down");
    expect((await b.next()).lastError).toBe("network down");
    expect(outbox.fail(d.id, "chat not found", false).state).toBe("failed");
    expect(outbox.list({ state: "failed", limit: 10 }).map((x) => x.id)).toEqual([d.id]);
    expect(outbox.retry(d.id).state).toBe("pending");
    expect((await b.next()).attempts).toBe(1);
    outbox.ack(d.id, ["9"]);
    expect(() => outbox.retry(d.id)).toThrow(/already delivered/);
    expect(() => outbox.get("d_nope")).toThrow(/no delivery/);
  });

  it("returns the first delivery for a repeated idempotency key", () => {
    const { outbox } = setup();
    const a = outbox.enqueueOnce({ address: chat, text: "one", idempotencyKey: "k" });
    const b = outbox.enqueueOnce({ address: chat, text: "two", idempotencyKey: "k" });
    expect(a.duplicate).toBe(false);
    expect(b).toEqual({ delivery: a.delivery, duplicate: true });
    expect(outbox.list({ limit: 10 })).toHaveLength(1);
    expect(() => outbox.enqueue({ address: chat, text: "  " })).toThrow(/needs some text/);
  });

  it("filters the list by platform, state and since", () => {
    const { outbox } = setup();
    outbox.enqueue({ address: chat, text: "t" });
    outbox.enqueue({ address: { platform: "discord", chatId: "1" }, text: "d" });
    expect(outbox.list({ platform: "discord", limit: 10 }).map((d) => d.text)).toEqual(["d"]);
    expect(outbox.list({ state: "pending", limit: 10 })).toHaveLength(2);
    expect(outbox.list({ since: new Date(Date.now() + 60_000).toISOString(), limit: 10 })).toHaveLength(0);
  });

  it("delivers a run's reply to each target unless it is the silent reply, and tells the chat about earlier failures once", () => {
    const { outbox } = setup();
    const run = { id: "r_1", deliverTo: [chat, { platform: "discord", chatId: "5" }], silentReply: "NOTHING_TO_REPORT" };
    deliverRunReply(outbox, run, " NOTHING_TO_REPORT \n");
    expect(outbox.list({ limit: 10 })).toHaveLength(0);
    const lost = outbox.enqueue({ address: chat, text: "lost" });
    outbox.fail(lost.id, "Forbidden: bot was blocked", false);
    deliverRunReply(outbox, run, "the answer");
    const texts = outbox.list({ state: "pending", limit: 10 }).map((d) => `${d.address.platform}: ${d.text}`).sort();
    expect(texts).toEqual(["discord: the answer", "telegram: (An earlier message could not be delivered here: Forbidden: bot was blocked.)\n\nthe answer"]);
    deliverRunReply(outbox, { ...run, deliverTo: [chat] }, "next");
    expect(outbox.list({ platform: "telegram", state: "pending", limit: 1 })[0]?.text).toBe("next");
  });

  it("after a restart offers again what the previous process offered but never saw acknowledged", () => {
    const { outbox, store } = setup();
    const d = outbox.enqueue({ address: chat, text: "x" });
    store.deliveries.markSending(d.id, Date.now() + 60_000, Date.now());
    expect(outbox.recover()).toBe(1);
    expect(outbox.get(d.id)).toMatchObject({ state: "pending", attempts: 1 });
  });
});
