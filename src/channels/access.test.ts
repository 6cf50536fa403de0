import { describe, it, expect } from "vitest";
import { AccessGate, matchesAllowlist, defaultRefusal } from "./access.js";
import { ChannelsConfig } from "../config/sections/channels.js";
import type { ChannelAddress } from "../../protocol/chat.js";

const ch = (over: Partial<ChannelAddress> = {}): ChannelAddress => ({
  platform: "telegram", chatId: "42", userId: "42", userName: "ann", isGroup: false, mentioned: false, ...over,
});

function gate(channels: unknown, opts: { now?: () => number; maxTracked?: number } = {}) {
  const cfg = ChannelsConfig.parse(channels);
  return new AccessGate({ channels: () => cfg, ...opts });
}

describe("matchesAllowlist", () => {
  it("matches user ids and chat ids exactly", () => {
    expect(matchesAllowlist(["42"], ch())).toBe(true);
    expect(matchesAllowlist(["-100123"], ch({ chatId: "-100123", userId: "7", isGroup: true }))).toBe(true);
    expect(matchesAllowlist(["4"], ch())).toBe(false);
    expect(matchesAllowlist(["420"], ch())).toBe(false);
  });

  it("matches usernames with or without @, ignoring case", () => {
    const c = ch({ userId: "1", chatId: "1", userName: "Ann_B" });
    expect(matchesAllowlist(["@ann_b"], c)).toBe(true);
    expect(matchesAllowlist(["ANN_B"], c)).toBe(true);
    expect(matchesAllowlist(["ann"], c)).toBe(false);
    expect(matchesAllowlist(["@ann_b"], ch({ userId: "1", chatId: "1", userName: "@ann_b" }))).toBe(true);
    expect(matchesAllowlist(["@"], ch({ userName: undefined, userId: "1", chatId: "1" }))).toBe(false);
  });

  it("compares phone numbers by their digits only, against WhatsApp-style ids", () => {
    const wa = ch({ platform: "whatsapp", userId: "4915123456789@s.whatsapp.net", chatId: "4915123456789@s.whatsapp.net", userName: "Ann" });
    expect(matchesAllowlist(["+49 151 2345-6789"], wa)).toBe(true);
    expect(matchesAllowlist(["(49) 151.23456789"], wa)).toBe(true);
    expect(matchesAllowlist(["+49 151 2345-6780"], wa)).toBe(false);
    expect(matchesAllowlist(["+49151234567891"], wa)).toBe(false);
    // a device suffix after ":" is ignored
    expect(matchesAllowlist(["+4915123456789"], { ...wa, userId: "4915123456789:12@s.whatsapp.net" })).toBe(true);
  });

  it("never matches empty or blank entries", () => {
    expect(matchesAllowlist(["", "  "], ch({ userName: undefined }))).toBe(false);
  });
});

describe("AccessGate", () => {
  it("allows messages without a channel (token-holding clients)", () => {
    expect(gate({}).decide(undefined)).toEqual({ kind: "allowed" });
  });

  it("allows allowlisted senders and everyone under the open policy", () => {
    expect(gate({ telegram: { allowlist: ["@ann"] } }).decide(ch())).toEqual({ kind: "allowed" });
    expect(gate({ telegram: { policy: "open" } }).decide(ch({ userId: "9", userName: "zed" }))).toEqual({ kind: "allowed" });
  });

  it("denies everyone on a platform without config, with a refusal naming the id", () => {
    const d = gate({}).decide(ch({ platform: "discord", userId: "555", userName: undefined }));
    expect(d.kind).toBe("denied");
    expect(d.kind === "denied" && d.refusal).toContain("555");
    expect(gate({}).decide(ch({ platform: "slack" })).kind).toBe("denied");
  });

  it("refuses a denied sender once per 10 minutes, per sender", () => {
    let now = 1_000_000;
    const g = gate({ telegram: { allowlist: ["1"] } }, { now: () => now });
    const bob = ch({ userId: "2", chatId: "2", userName: "bob" });
    expect(g.decide(bob)).toEqual({ kind: "denied", refusal: defaultRefusal(bob) });
    expect(g.decide(bob)).toEqual({ kind: "denied" });
    now += 9 * 60_000;
    expect(g.decide(bob)).toEqual({ kind: "denied" });
    // another sender has their own limit; the same user id on another platform too
    expect(g.decide(ch({ userId: "3", chatId: "3" }))).toMatchObject({ refusal: expect.any(String) });
    expect(g.decide({ ...bob, platform: "discord" })).toMatchObject({ refusal: expect.any(String) });
    now += 60_000;
    expect(g.decide(bob)).toMatchObject({ kind: "denied", refusal: expect.any(String) });
  });

  it("uses the configured refusal text", () => {
    expect(gate({ telegram: { refusalText: "Private bot." } }).decide(ch())).toEqual({ kind: "denied", refusal: "Private bot." });
  });

  it("keeps the refusal memory bounded, forgetting the oldest senders first", () => {
    const now = 5_000;
    const g = gate({}, { now: () => now, maxTracked: 3 });
    for (let i = 0; i < 10; i++) g.decide(ch({ userId: `u${i}` }));
    expect(g.trackedCount).toBe(3);
    expect(g.decide(ch({ userId: "u9" }))).toEqual({ kind: "denied" });
    expect(g.decide(ch({ userId: "u0" }))).toMatchObject({ refusal: expect.any(String) });
  });

  it("forgets expired refusals", () => {
    let now = 0;
    const g = gate({}, { now: () => now });
    g.decide(ch({ userId: "a" }));
    g.decide(ch({ userId: "b" }));
    now += 600_001;
    g.decide(ch({ userId: "c" }));
    expect(g.trackedCount).toBe(1);
  });

  it("ignores unmentioned group messages silently, whoever sends them", () => {
    const g = gate({ telegram: { allowlist: ["ann"] } });
    const group = { isGroup: true, chatId: "-5" };
    expect(g.decide(ch({ ...group }))).toEqual({ kind: "ignored", reason: "not_mentioned", denied: false });
    expect(g.decide(ch({ ...group, userName: "bob", userId: "2" }))).toEqual({ kind: "ignored", reason: "not_mentioned", denied: true });
    expect(g.decide(ch({ ...group, mentioned: true }))).toEqual({ kind: "allowed" });
    expect(g.decide(ch({ ...group, mentioned: true, userName: "bob", userId: "2" })).kind).toBe("denied");
  });

  it("answers every group message with groups: all, none with groups: off", () => {
    expect(gate({ telegram: { policy: "open", groups: "all" } }).decide(ch({ isGroup: true }))).toEqual({ kind: "allowed" });
    expect(gate({ telegram: { policy: "open", groups: "off" } }).decide(ch({ isGroup: true, mentioned: true }))).toMatchObject({ kind: "ignored", reason: "groups_off" });
    // direct messages are not affected by the group policy
    expect(gate({ telegram: { policy: "open", groups: "off" } }).decide(ch())).toEqual({ kind: "allowed" });
  });

  it("reads the config on every decision (live edits)", () => {
    let cfg = ChannelsConfig.parse({});
    const g = new AccessGate({ channels: () => cfg });
    expect(g.decide(ch()).kind).toBe("denied");
    cfg = ChannelsConfig.parse({ telegram: { allowlist: [42] } });
    expect(g.decide(ch()).kind).toBe("allowed");
  });
});
