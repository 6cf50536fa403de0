import { describe, expect, it } from "vitest";
import { LOGIN_CODE_TTL_MS, WEB_SESSION_IDLE_MS, WebSessions, cookieValue, sessionCookie } from "./web-auth.js";
import { boundHosts, sameOriginRequest } from "./origin-check.js";

describe("WebSessions", () => {
  it("a login code works once and only within its lifetime", () => {
    let now = 1_000;
    const s = new WebSessions(() => now);
    const a = s.issueCode(["admin"]);
    expect(s.redeemCode(a.code)).toEqual(["admin"]);
    expect(s.redeemCode(a.code)).toBeUndefined();
    const b = s.issueCode(["admin"]);
    now += LOGIN_CODE_TTL_MS + 1;
    expect(s.redeemCode(b.code)).toBeUndefined();
    expect(s.redeemCode("made-up")).toBeUndefined();
  });

  it("a session cookie is valid until signed out or idle too long", () => {
    let now = 0;
    const s = new WebSessions(() => now);
    const id = s.open(["admin"]);
    expect(s.lookup(id)?.scopes).toEqual(["admin"]);
    now += WEB_SESSION_IDLE_MS - 1;
    expect(s.lookup(id)).toBeDefined(); // use renews it
    now += WEB_SESSION_IDLE_MS - 1;
    expect(s.lookup(id)).toBeDefined();
    s.close(id);
    expect(s.lookup(id)).toBeUndefined();
    const idle = s.open(["admin"]);
    now += WEB_SESSION_IDLE_MS + 1;
    expect(s.lookup(idle)).toBeUndefined();
    expect(s.lookup("x".repeat(43))).toBeUndefined();
  });

  it("the cookie is HttpOnly, SameSite=Strict and named after the port", () => {
    expect(sessionCookie(8765, "v")).toBe("agentd_session_8765=v; Path=/; HttpOnly; SameSite=Strict");
    expect(cookieValue("a=1; agentd_session_8765=abc; b=2", "agentd_session_8765")).toBe("abc");
    expect(cookieValue("agentd_session_8766=abc", "agentd_session_8765")).toBeUndefined();
  });
});

describe("sameOriginRequest", () => {
  const bound = boundHosts("127.0.0.1", 8765);
  it("accepts the daemon's own origin on a bound name", () => {
    expect(sameOriginRequest({ host: "127.0.0.1:8765", origin: "http://127.0.0.1:8765" }, bound)).toBe(true);
    expect(sameOriginRequest({ host: "localhost:8765", origin: "http://localhost:8765" }, bound)).toBe(true);
    expect(sameOriginRequest({ host: "127.0.0.1:8765", fetchSite: "same-origin" }, bound)).toBe(true);
  });
  it("refuses another port of the same host (same site, other origin)", () => {
    expect(sameOriginRequest({ host: "127.0.0.1:8765", origin: "http://127.0.0.1:9999" }, bound)).toBe(false);
    expect(sameOriginRequest({ host: "127.0.0.1:8765", fetchSite: "same-site" }, bound)).toBe(false);
    expect(sameOriginRequest({ host: "127.0.0.1:8765", origin: "null" }, bound)).toBe(false);
  });
  it("refuses a name that only resolves here (DNS rebinding)", () => {
    expect(sameOriginRequest({ host: "evil.example:8765", origin: "http://evil.example:8765" }, bound)).toBe(false);
    expect(sameOriginRequest({ host: undefined }, bound)).toBe(false);
  });
  it("binds the configured address, and loopback names only for loopback or wildcard binds", () => {
    expect([...boundHosts("192.168.1.5", 80)]).toEqual(["192.168.1.5:80"]);
    expect(boundHosts("::1", 80).has("[::1]:80")).toBe(true);
    expect(boundHosts("0.0.0.0", 80).has("localhost:80")).toBe(true);
    expect(boundHosts("0.0.0.0", 80).has("evil.example:80")).toBe(false);
  });
});
