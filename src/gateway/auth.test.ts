import { describe, expect, it } from "vitest";
import { bearerToken, tokenMatches } from "./auth.js";

describe("auth", () => {
  it("matches only the exact token", () => {
    expect(tokenMatches("secret-token", "secret-token")).toBe(true);
    expect(tokenMatches("secret-token", "secret-tokeN")).toBe(false);
    expect(tokenMatches("secret-token", "secret-token-longer")).toBe(false);
    expect(tokenMatches("secret-token", undefined)).toBe(false);
    expect(tokenMatches("secret-token", "")).toBe(false);
  });

  it("reads RFC 6750 bearer headers", () => {
    expect(bearerToken("Bearer abc")).toBe("abc");
    expect(bearerToken("bearer abc")).toBe("abc");
    expect(bearerToken("Basic abc")).toBeUndefined();
    expect(bearerToken("Bearer a b")).toBeUndefined();
  });
});
