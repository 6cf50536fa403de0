import { describe, expect, it } from "vitest";
import { agentFixture, useFakeLlm } from "../agent/test-support.js";
import { Runner, type SendOptions, type SendParams } from "../agent/runner.js";
import { Outbox } from "./outbox.js";
import { deliverRunReply } from "./run-reply.js";
import type { ChannelAddress } from "../../protocol/chat.js";

const fake = useFakeLlm();
const { cleanups } = fake;

function setup() {
  const fx = agentFixture(fake.llm.url);
  const outbox = new Outbox({ store: fx.store, config: () => fx.config().deliveries, logger: fx.logger });
  const runner = new Runner({
    dir: fx.dir, store: fx.store, config: fx.config, pool: fx.pool, tools: () => [], logger: fx.logger, price: () => null,
    resolveSession: (p: SendParams) => ({ sessionId: p.sessionId ?? fx.store.createSession().id }),
    deliver: (h, text) => deliverRunReply(outbox, { id: h.id, deliverTo: h.deliverTo, silentReply: h.silentReply }, text),
  });
  cleanups.push(() => fx.cleanup());
  const run = (params: Omit<SendParams, "idempotencyKey"> & { idempotencyKey?: string }, opts?: SendOptions) =>
    new Promise<string>((resolve) => {
      runner.send({ idempotencyKey: `k${Math.random()}`, ...params }, (event) => {
        if (event === "run.done" || event === "run.error") resolve(event);
      }, opts);
    });
  return { fx, outbox, runner, run };
}

const ann: ChannelAddress = { platform: "telegram", chatId: "9", userId: "1", messageId: "77", threadId: "3", isGroup: false, mentioned: false };

describe("runs deliver through the outbox", () => {
  it("a channel message's reply goes to its own chat, answering its message, stored with the run's end", async () => {
    const t = setup();
    await t.run({ text: "hi", channel: ann });
    const [d] = t.outbox.list({ limit: 10 });
    expect(d).toMatchObject({ address: { platform: "telegram", chatId: "9", threadId: "3", replyTo: "77" }, text: "You said: hi", state: "pending" });
    expect(t.fx.store.getRun(d!.runId!)?.status).toBe("ok");
  });

  it("delivers to explicit targets, and nothing when the reply is the silent reply", async () => {
    const t = setup();
    const to = [{ platform: "discord", chatId: "c1" }, { platform: "telegram", chatId: "t1" }];
    await t.run({ text: "report" }, { deliverTo: to });
    expect(t.outbox.list({ limit: 10 }).map((d) => d.address.chatId).sort()).toEqual(["c1", "t1"]);
    fake.llm.enqueue({ text: "NOTHING_TO_REPORT" });
    await t.run({ text: "check" }, { deliverTo: to, silentReply: "NOTHING_TO_REPORT" });
    expect(t.outbox.list({ limit: 10 })).toHaveLength(2);
    await t.run({ text: "no targets" });
    expect(t.outbox.list({ limit: 10 })).toHaveLength(2);
  });

  it("a failed run delivers one short friendly line, never the error's text", async () => {
    const t = setup();
    fake.llm.enqueue({ status: 500, errorMessage: "internal details" });
    expect(await t.run({ text: "hi", channel: ann })).toBe("run.error");
    expect(t.outbox.list({ limit: 10 }).map((d) => d.text)).toEqual(["Sorry — the model is unavailable right now."]);
  });

  it("a run a crash interrupted is run again at start and its reply delivered once", async () => {
    const t = setup();
    const session = t.fx.store.createSession();
    const target = [{ platform: "telegram", chatId: "9", replyTo: "77" }];
    const { run } = t.fx.store.acceptMessage({ sessionId: session.id, content: "again", idempotencyKey: "tg:9:77", channel: ann, deliverTo: target });
    t.fx.store.updateRun(run.id, { status: "running" });
    const { resumable } = t.fx.store.claimInterruptedRuns();
    expect(resumable.map((r) => r.id)).toEqual([run.id]);
    const done = new Promise<void>((resolve) => {
      const off = setInterval(() => {
        if (t.fx.store.getRun(run.id)?.status === "ok") resolve(void clearInterval(off));
      }, 10);
    });
    t.runner.resume(resumable);
    // a bridge resending the same message re-attaches instead of running it twice
    expect(t.runner.send({ text: "again", idempotencyKey: "tg:9:77", channel: ann }).duplicate).toBe(true);
    await done;
    expect(t.outbox.list({ limit: 10 }).map((d) => d.text)).toEqual(["You said: again"]);
  });

  it("a run the daemon's stop cuts off stays queued without delivering, and runs again at the next start", async () => {
    const t = setup();
    fake.llm.enqueue({ stallAfterChunks: 1, text: "half of it and then some" });
    const ended = t.run({ text: "long job", channel: ann });
    await new Promise((r) => setTimeout(r, 150));
    await t.runner.drain(0);
    expect(await ended).toBe("run.error");
    expect(t.outbox.list({ limit: 10 })).toHaveLength(0);
    const { resumable } = t.fx.store.claimInterruptedRuns();
    expect(resumable).toHaveLength(1);
    expect(t.fx.store.contextMessages(resumable[0]!.sessionId).map((m) => m.role)).toEqual(["user"]);
  });
});
