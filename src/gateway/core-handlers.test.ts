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
});
