import { EventEmitter } from "node:events";
import { describe, it, expect } from "vitest";
import pino from "pino";
import type { WebSocket } from "ws";
import { serveConnection } from "./ws-connection.js";
import type { DaemonRegistry } from "./method-registry.js";
import type { TokenKeys } from "./token-keys.js";
import type { CallContext } from "../feature.js";

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A stand-in for a `ws` WebSocket whose socket records each write: the frames sent between cork and uncork are one write. */
class FakeWs extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  /** Each socket write, as the frames (parsed) it carried. */
  readonly writes: Array<Array<{ type: string; event?: string; id?: number }>> = [];
  private corked: Array<{ type: string }> | undefined;
  readonly _socket = {
    cork: () => (this.corked = []),
    uncork: () => {
      if (this.corked?.length) this.writes.push(this.corked);
      this.corked = undefined;
    },
  };
  send(data: string): void {
    const frame = JSON.parse(data) as { type: string };
    if (this.corked) this.corked.push(frame);
    else this.writes.push([frame]);
  }
  close(): void {
    this.readyState = 3;
  }
  receive(frame: unknown): void {
    this.emit("message", Buffer.from(JSON.stringify(frame)), false);
  }
}

/** A connection signed in with a browser session (welcome at once), whose registry runs `chat.send` with `run`. */
async function connected(run: (ctx: CallContext) => unknown): Promise<FakeWs> {
  const ws = new FakeWs();
  const registry = { names: () => ["chat.send"], dispatch: async (_m: string, _p: unknown, ctx: CallContext) => run(ctx) } as unknown as DaemonRegistry;
  serveConnection(ws as unknown as WebSocket, {
    keys: {} as TokenKeys, agentName: "test", version: "0.0.0", registry, logger: pino({ level: "silent" }),
    webSession: { scopes: ["admin"], expiresAt: Date.now() + 60_000 },
  });
  ws.receive({ type: "hello", protocol: { min: 2, max: 2 }, session: "cookie" });
  await tick();
  expect(ws.writes.map((w) => w.map((f) => f.type))).toEqual([["welcome"]]);
  ws.writes.length = 0;
  return ws;
}

describe("serveConnection: frames of one tick leave in one write", () => {
  it("sends the answer and the events released with it in one write, in order", async () => {
    let emit!: NonNullable<CallContext["subscriber"]>;
    const ws = await connected((ctx) => {
      emit = ctx.subscriber!;
      // what chat.send does: the answer first, the held events a tick later (after the fsync)
      process.nextTick(() => {
        emit("run.status", { status: "running" }, 1);
        emit("run.delta", { text: "Hel" }, 2);
        emit("run.delta", { text: "lo" }, 3);
      });
      return { runId: "r", sessionId: "s", duplicate: false };
    });
    ws.receive({ type: "req", id: 7, method: "chat.send", params: { text: "hi", idempotencyKey: "k" } });
    await tick();
    expect(ws.writes.map((w) => w.map((f) => f.event ?? f.type))).toEqual([["res", "run.status", "run.delta", "run.delta"]]);
    // a lone event later is written at the end of its own tick, not held for the next one
    emit("run.delta", { text: "!" }, 4);
    await tick();
    expect(ws.writes.map((w) => w.map((f) => f.event ?? f.type))).toEqual([["res", "run.status", "run.delta", "run.delta"], ["run.delta"]]);
    emit("run.delta", { text: "?" }, 5);
    emit("run.done", { text: "Hello!?" }, 6);
    await tick();
    expect(ws.writes.at(-1)!.map((f) => f.event)).toEqual(["run.delta", "run.done"]);
    expect(ws.writes.length).toBe(3);
  });

  it("sends an error frame before closing, and nothing after", async () => {
    const ws = new FakeWs();
    const registry = { names: () => [], dispatch: async () => ({}) } as unknown as DaemonRegistry;
    const closed: number[] = [];
    ws.close = (code?: number) => {
      closed.push(code ?? 0);
      ws.readyState = 3;
    };
    serveConnection(ws as unknown as WebSocket, { keys: {} as TokenKeys, agentName: "t", version: "0", registry, logger: pino({ level: "silent" }) });
    ws.receive({ type: "req", id: 1, method: "agent.info" }); // before hello: error, then close
    expect(ws.writes.map((w) => w.map((f) => f.type))).toEqual([["error"]]);
    expect(closed).toEqual([1008]);
    await tick();
    expect(ws.writes.length).toBe(1);
  });
});
