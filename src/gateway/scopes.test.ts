import { describe, expect, it } from "vitest";
import { scopeAllows } from "../../protocol/scopes.js";
import { authorize, seesAllSessions, writesAllSessions, OWNER, type Principal } from "./scopes.js";

const token = (...scopes: Principal["scopes"]): Principal => ({ name: "t", scopes, kind: "token" });

describe("authorize (the one scope check)", () => {
  it("lets admin do everything and any listed scope do what it declares", () => {
    expect(scopeAllows(["admin"], "vault")).toBe(true);
    expect(scopeAllows(["read"], ["read", "vault"])).toBe(true);
    expect(scopeAllows(["chat"], ["read", "vault"])).toBe(false);
    expect(authorize(OWNER, "admin", "x")).toBe(OWNER);
    expect(authorize(token("chat", "vault"), ["vault"], "x").name).toBe("t");
  });

  it("throws forbidden naming the operation and both scope sets, and unauthorized without a caller", () => {
    expect(() => authorize(token("read"), ["chat", "bridge"], "POST /api/chat")).toThrow(expect.objectContaining({
      code: "forbidden", message: 'POST /api/chat needs a token with the "chat" or "bridge" scope (this token has read)',
      details: { operation: "POST /api/chat", required: ["chat", "bridge"], held: ["read"] },
    }));
    expect(() => authorize(undefined, "read", "x")).toThrow(expect.objectContaining({ code: "unauthorized" }));
  });

  it("lets read, bridge and admin see every session; bridge and admin post into any", () => {
    expect([token("chat"), token("read"), token("bridge"), OWNER].map(seesAllSessions)).toEqual([false, true, true, true]);
    expect([token("chat"), token("read", "chat"), token("bridge"), OWNER].map(writesAllSessions)).toEqual([false, false, true, true]);
  });
});
