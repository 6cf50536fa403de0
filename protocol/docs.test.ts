import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ClientFrame, ServerFrame } from "./frames.js";
import { methods, type MethodName } from "./methods.js";
import { events, type EventName } from "./events.js";

const doc = readFileSync(join(import.meta.dirname, "..", "docs", "protocol.md"), "utf8");
const blocks = [...doc.matchAll(/```json (client|server)\n([\s\S]*?)\n```/g)].map((m) => ({ side: m[1] as "client" | "server", frame: JSON.parse(m[2]!) }));

describe("docs/protocol.md", () => {
  it("shows a whole conversation", () => {
    expect(blocks.length).toBeGreaterThan(15);
    const shown = new Set(blocks.map((b) => b.frame.event ?? b.frame.method ?? b.frame.type));
    for (const e of Object.keys(events)) expect(shown, e).toContain(e);
    for (const m of ["chat.send", "chat.abort", "chat.history", "sessions.list"]) expect(shown, m).toContain(m);
  });

  it("has only frames that validate against the protocol schemas", () => {
    const pending = new Map<string | number, { method: MethodName; params: unknown }>();
    for (const { side, frame } of blocks) {
      if (side === "client") {
        const f = ClientFrame.parse(frame);
        if (f.type === "req" && f.method in methods) pending.set(f.id, { method: f.method as MethodName, params: f.params ?? {} });
        continue;
      }
      const f = ServerFrame.parse(frame);
      if (f.type === "res") {
        const req = pending.get(f.id);
        if (!req) continue;
        // a request shown with a bad_request answer must really be invalid; every other one must be valid
        const valid = methods[req.method].params.safeParse(req.params).success;
        expect(valid, `params of request ${f.id}`).toBe(!(f.ok === false && f.error?.code === "bad_request"));
        if (f.ok) methods[req.method].result.parse(f.result);
      }
      if (f.type === "event") {
        expect(Object.keys(events)).toContain(f.event);
        events[f.event as EventName].payload.parse(f.payload);
      }
    }
  });
});
