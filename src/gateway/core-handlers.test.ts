import { describe, expect, it } from "vitest";
import { methods } from "../../protocol/methods.js";
import { MethodRegistry } from "./method-registry.js";
import { registerCoreHandlers } from "./core-handlers.js";
import { OWNER } from "./scopes.js";
import type { Runner } from "../agent/runner.js";
import type { Store } from "../store/store.js";

describe("chat.send", () => {
  it("answers (acknowledges) only once the accepted message is durable: after Store.durable() resolves", async () => {
    const order: string[] = [];
    let makeDurable: () => void = () => {};
    const runner = { send: () => (order.push("accepted"), { runId: "r_1", sessionId: "s_1", duplicate: false }) } as unknown as Runner;
    const store = { durable: () => new Promise<void>((r) => (makeDurable = () => (order.push("fdatasync done"), r()))) } as unknown as Store;
    const registry = new MethodRegistry(methods);
    registerCoreHandlers(registry, { runner, store, agentInfo: () => { throw new Error("unused"); } });
    const answer = registry.call("chat.send", { text: "hi", idempotencyKey: "k" }, { transport: "ws", principal: OWNER }).then((r) => (order.push("answered"), r));
    await new Promise((r) => setTimeout(r, 20));
    expect(order).toEqual(["accepted"]); // not answered while the disk has not confirmed
    makeDurable();
    expect(await answer).toEqual({ runId: "r_1", sessionId: "s_1", duplicate: false });
    expect(order).toEqual(["accepted", "fdatasync done", "answered"]);
  });

  it("starts the run at once but gives its events to the client only after the fdatasync and the answer", async () => {
    const order: string[] = [];
    let makeDurable: () => void = () => {};
    const runner = {
      send: (_p: unknown, subscriber: (e: string, payload: unknown, seq: number) => void) => {
        order.push("accepted, run started");
        // an instant model: the whole reply is there before the disk has confirmed the message
        subscriber("run.delta", { text: "hel" }, 1);
        subscriber("run.delta", { text: "lo" }, 2);
        queueMicrotask(() => subscriber("run.done", { text: "hello" }, 3));
        return { runId: "r_1", sessionId: "s_1", duplicate: false };
      },
    } as unknown as Runner;
    const store = { durable: () => new Promise<void>((r) => (makeDurable = () => (order.push("fdatasync done"), r()))) } as unknown as Store;
    const registry = new MethodRegistry(methods);
    registerCoreHandlers(registry, { runner, store, agentInfo: () => { throw new Error("unused"); } });
    const subscriber = (event: string, _payload: unknown, seq: number) => order.push(`${event} ${seq}`);
    const answer = registry.call("chat.send", { text: "hi", idempotencyKey: "k" }, { transport: "ws", principal: OWNER, subscriber }).then(() => order.push("answered"));
    await new Promise((r) => setTimeout(r, 20));
    expect(order).toEqual(["accepted, run started"]);
    makeDurable();
    await answer;
    await new Promise((r) => setTimeout(r, 0));
    expect(order).toEqual(["accepted, run started", "fdatasync done", "answered", "run.delta 1", "run.delta 2", "run.done 3"]);
  });

  it("gives no event to a client whose message could not be made durable: it gets the error", async () => {
    const events: string[] = [];
    const runner = { send: (_p: unknown, sub: (e: string, p: unknown, s: number) => void) => (sub("run.delta", { text: "x" }, 1), { runId: "r_1", sessionId: "s_1", duplicate: false }) } as unknown as Runner;
    const store = { durable: () => Promise.reject(new Error("could not make the write durable")) } as unknown as Store;
    const registry = new MethodRegistry(methods);
    registerCoreHandlers(registry, { runner, store, agentInfo: () => { throw new Error("unused"); } });
    await expect(registry.call("chat.send", { text: "hi", idempotencyKey: "k" }, { transport: "ws", principal: OWNER, subscriber: (e) => events.push(e) })).rejects.toThrow(/durable/);
    await new Promise((r) => setTimeout(r, 10));
    expect(events).toEqual([]);
  });
});
