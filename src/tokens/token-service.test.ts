import { describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Store } from "../store/store.js";
import { keyIdOfToken, keyOfToken } from "../../protocol/handshake.js";
import { TokenService, parseLifetimeMs } from "./token-service.js";
import { KeyRing } from "../gateway/key-ring.js";
import { ownerTokenKeys } from "../gateway/token-keys.js";

const fresh = () => new Store(join(mkdtempSync(join(tmpdir(), "tokens-")), "agentd.db"));

describe("TokenService", () => {
  it("stores only the key and key id of a token, finds it by bearer and by key id, and lists it without the token", () => {
    const store = fresh();
    const tokens = new TokenService(store.tokens);
    const { token, info } = tokens.create({ name: "ci", scopes: ["chat", "vault", "chat"] });
    expect(token).toMatch(/^agentd_[A-Za-z0-9_-]{43}$/);
    expect(info).toMatchObject({ name: "ci", scopes: ["chat", "vault"], expiresAt: null, lastUsedAt: null, expired: false });
    const raw = store.sqlite.prepare(`SELECT * FROM "api_tokens"`).all() as Array<Record<string, unknown>>;
    expect(JSON.stringify(raw)).not.toContain(token.slice(7));
    expect(raw[0]).toMatchObject({ key_id: keyIdOfToken(token) });
    expect(Buffer.compare(raw[0]!.key as Buffer, keyOfToken(token))).toBe(0);
    expect(tokens.byBearer(token)).toMatchObject({ name: "ci", scopes: ["chat", "vault"], kind: "token" });
    expect(tokens.byKeyId(keyIdOfToken(token))?.name).toBe("ci");
    expect(tokens.byBearer(`${token}x`)).toBeUndefined();
    expect(tokens.byBearer(undefined)).toBeUndefined();
    expect(tokens.list()[0]!.lastUsedAt).not.toBeNull();
    store.close();
  });

  it("refuses a taken name, bad names, unknown scopes and bad lifetimes, and changes nothing", () => {
    const store = fresh();
    const tokens = new TokenService(store.tokens);
    tokens.create({ name: "a", scopes: ["read"] });
    expect(() => tokens.create({ name: "a", scopes: ["read"] })).toThrow(/exists already/);
    expect(() => tokens.create({ name: "-bad", scopes: ["read"] })).toThrow(/name/);
    expect(() => tokens.create({ name: "b", scopes: ["root" as never] })).toThrow(/scopes\.0/);
    expect(() => tokens.create({ name: "b", scopes: [] })).toThrow(/scopes/);
    expect(() => tokens.create({ name: "b", scopes: ["read"], expires: "soon" })).toThrow(/expires: "soon"/);
    expect(() => tokens.create({ name: "b", scopes: ["read"], expires: "10s" })).toThrow(/a minute or more/);
    expect(tokens.list().map((t) => t.name)).toEqual(["a"]);
    store.close();
  });

  it("stops accepting an expired token but keeps listing it as expired; revoking deletes it", () => {
    const store = fresh();
    let now = Date.UTC(2026, 0, 1);
    const tokens = new TokenService(store.tokens, () => now);
    const { token, info } = tokens.create({ name: "temp", scopes: ["read"], expires: "30d" });
    expect(info.expiresAt).toBe("2026-01-31T00:00:00.000Z");
    now += 30 * 86_400_000 - 1;
    expect(tokens.byBearer(token)).toBeDefined();
    now += 1;
    expect(tokens.byBearer(token)).toBeUndefined();
    expect(tokens.byKeyId(keyIdOfToken(token))).toBeUndefined();
    expect(tokens.list()[0]).toMatchObject({ name: "temp", expired: true });
    tokens.revoke("temp");
    expect(tokens.list()).toEqual([]);
    expect(() => tokens.revoke("temp")).toThrow(/no token named "temp"/);
    store.close();
  });

  it("parses lifetimes in the ms package's syntax", () => {
    expect(parseLifetimeMs("30d")).toBe(30 * 86_400_000);
    expect(parseLifetimeMs("12h")).toBe(12 * 3_600_000);
    expect(parseLifetimeMs("2w")).toBe(14 * 86_400_000);
  });
});

describe("KeyRing", () => {
  it("finds the owner, minted bridge tokens and named tokens, by bearer and by key id", () => {
    const store = fresh();
    const named = new TokenService(store.tokens);
    const ring = new KeyRing(ownerTokenKeys(() => "owner-secret"), named);
    const { token } = named.create({ name: "n", scopes: ["vault"] });
    const bridge = ring.mint("bridge-telegram", ["bridge"]);
    expect(ring.byBearer("owner-secret")).toMatchObject({ name: "owner", scopes: ["admin"], kind: "owner" });
    expect(ring.byBearer(bridge)).toMatchObject({ name: "bridge-telegram", scopes: ["bridge"], kind: "bridge" });
    expect(ring.byBearer(token)).toMatchObject({ name: "n", scopes: ["vault"], kind: "token" });
    expect(ring.byKeyId(keyIdOfToken(bridge))?.name).toBe("bridge-telegram");
    expect(ring.byKeyId(keyIdOfToken("owner-secret"))?.name).toBe("owner");
    expect(ring.byBearer("nope")).toBeUndefined();
    expect(ring.byBearer(undefined)).toBeUndefined();
    store.close();
  });
});
