import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Store } from "../store/store.js";
import { Pairing } from "./pairing.js";
import { AccessGate } from "./access.js";
import { ChannelsConfig } from "../config/sections/channels.js";
import type { ChannelAddress } from "../../protocol/chat.js";

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "agentd-pairing-"));
  const store = new Store(join(dir, "agentd.db"));
  let now = 1_000_000;
  const pairing = new Pairing(store, () => now);
  cleanups.push(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { store, pairing, tick: (ms: number) => (now += ms) };
}

const stranger: ChannelAddress = { platform: "telegram", chatId: "9", userId: "9", userName: "eve", isGroup: false, mentioned: false };

describe("Pairing", () => {
  it("gives a spamming sender one code until it expires, then a new one", () => {
    const { pairing, tick } = setup();
    const first = pairing.issue(stranger, 60_000);
    expect(first.fresh).toBe(true);
    expect(first.code).toMatch(/^[A-Z2-9]{8}$/);
    for (let i = 0; i < 5; i++) expect(pairing.issue(stranger, 60_000)).toMatchObject({ code: first.code, fresh: false });
    tick(60_001);
    const second = pairing.issue(stranger, 60_000);
    expect(second.fresh).toBe(true);
    expect(second.code).not.toBe(first.code);
  });

  it("approve stores the sender (case and dashes ignored); a used, expired or unknown code is refused", () => {
    const { pairing, tick } = setup();
    const { code } = pairing.issue(stranger, 60_000);
    expect(pairing.approve(`${code.slice(0, 4).toLowerCase()}-${code.slice(4)}`)).toMatchObject({ platform: "telegram", userId: "9", userName: "eve" });
    expect(pairing.isPaired(stranger)).toBe(true);
    expect(() => pairing.approve(code)).toThrow(/already used/);
    expect(() => pairing.approve("ZZZZZZZZ")).toThrow(/no pairing code/);
    const other = pairing.issue({ ...stranger, userId: "10" }, 60_000);
    tick(60_001);
    expect(() => pairing.approve(other.code)).toThrow(/expired/);
    expect(pairing.revoke("telegram", "9")).toBe(true);
    expect(pairing.isPaired(stranger)).toBe(false);
  });

  it("the access gate lets paired senders through on a pairing channel and sends the others to pairing", () => {
    const { pairing } = setup();
    const channels = ChannelsConfig.parse({ telegram: { policy: "pairing", allowlist: ["1"] } });
    const gate = new AccessGate({ channels: () => channels, isPaired: (ch) => pairing.isPaired(ch) });
    expect(gate.decide({ ...stranger, userId: "1" })).toEqual({ kind: "allowed" });
    expect(gate.decide(stranger)).toEqual({ kind: "pairing" });
    pairing.approve(pairing.issue(stranger, 60_000).code);
    expect(gate.decide(stranger)).toEqual({ kind: "allowed" });
  });
});
