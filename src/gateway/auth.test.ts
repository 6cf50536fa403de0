import { describe, expect, it } from "vitest";
import { bearerToken } from "./auth.js";
import { ownerTokenKeys } from "./token-keys.js";

describe("auth", () => {
  it("matches only the exact owner token", () => {
    let token = "secret-token";
    const keys = ownerTokenKeys(() => token);
    expect(keys.byBearer("secret-token")).toMatchObject({ name: "owner", scopes: ["admin"], kind: "owner" });
    expect(keys.byBearer("secret-tokeN")).toBeUndefined();
    expect(keys.byBearer("secret-token-longer")).toBeUndefined();
    expect(keys.byBearer(undefined)).toBeUndefined();
    expect(keys.byBearer("")).toBeUndefined();
    // a restart in place that reloads .env: the new token only
    token = "rotated-token";
    expect(keys.byBearer("secret-token")).toBeUndefined();
    expect(keys.byBearer("rotated-token")).toMatchObject({ name: "owner" });
  });

  it("reads RFC 6750 bearer headers", () => {
    expect(bearerToken("Bearer abc")).toBe("abc");
    expect(bearerToken("bearer abc")).toBe("abc");
    expect(bearerToken("Basic abc")).toBeUndefined();
    expect(bearerToken("Bearer a b")).toBeUndefined();
  });
});
