import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, it, expect } from "vitest";
import { agentFixture } from "../agent/test-support.js";
import { Runner, type SendParams } from "../agent/runner.js";
import { ConfigStore } from "../config/config-store.js";
import { Config } from "../config/schema.js";
import type { DaemonContext, RunHooks } from "../feature.js";
import type { ChannelAddress } from "../../protocol/chat.js";
import { bridgeSettings, createChannelsFeature, findCli } from "./feature.js";
import { ChannelsConfig } from "../config/sections/channels.js";

const FIXTURE = join(import.meta.dirname, "test-fixtures", "fake-bridge.mjs");
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A real runner and store with the channels feature's hook installed; the model is unreachable (never needed). */
function setup(channels: Record<string, unknown>, agent: Record<string, unknown> = {}) {
  const fx = agentFixture("http://127.0.0.1:9/v1", (raw) => {
    raw.channels = channels;
    raw.agent = { ...(raw.agent as object | undefined), ...agent };
  });
  const config = new ConfigStore(fx.config());
  // the channels feature's `runHooks.command`, set by `install` as the daemon composes it
  let hooks: RunHooks = {};
  const runner = new Runner({
    dir: fx.dir, store: fx.store, config: () => config.get(), pool: fx.pool, tools: () => [], logger: fx.logger, price: () => null,
    command: () => hooks.command,
    resolveSession: (p: SendParams) => {
      const ch = p.channel!;
      const b = fx.store.getBinding(ch.platform, ch.chatId, ch.threadId ?? "");
      if (b) return { sessionId: b.sessionId };
      const s = fx.store.createSession();
      fx.store.setBinding(ch.platform, ch.chatId, ch.threadId ?? "", s.id);
      return { sessionId: s.id };
    },
  });
  const ctx = { dir: fx.dir, config, store: fx.store, logger: fx.logger, runner, mintToken: (name: string) => `minted-${name}` } as unknown as DaemonContext;
  cleanups.push(() => fx.cleanup());
  let n = 0;
  const send = (text: string, channel: ChannelAddress) => {
    const events: Array<{ event: string; payload: any }> = [];
    const res = runner.send({ text, idempotencyKey: `k${++n}`, channel }, (event, payload) => events.push({ event, payload }));
    return {
      ...res,
      done: events.find((e) => e.event === "run.done")?.payload as { status: string; text: string } | undefined,
      error: events.find((e) => e.event === "run.error")?.payload as { error: { code: string } } | undefined,
    };
  };
  const context = (sessionId: string) => fx.store.contextMessages(sessionId).map((m) => m.content);
  const install = () => (hooks = createChannelsFeature(ctx).runHooks ?? {});
  return { fx, ctx, config, send, context, install };
}

const ann: ChannelAddress = { platform: "telegram", chatId: "1", userId: "1", userName: "ann", isGroup: false, mentioned: false };

describe("channel hook in the runner", () => {
  it("answers commands and refusals at once and keeps them out of the model's context", () => {
    const t = setup({ telegram: { allowlist: ["ann"] } });
    t.install();
    const help = t.send("/help", ann);
    expect(help.done).toMatchObject({ status: "ok", text: expect.stringContaining("/sessions") });
    const refused = t.send("hi", { ...ann, chatId: "2", userId: "2", userName: "bob" });
    expect(refused.done?.text).toMatch(/allowlist/);
    const ignored = t.send("hi again", { ...ann, chatId: "2", userId: "2", userName: "bob" });
    expect(ignored.done).toMatchObject({ status: "ignored", text: "" });
    expect(t.context(help.sessionId)).toEqual([]);
    expect(t.context(refused.sessionId)).toEqual([]);
    expect(t.fx.store.history(refused.sessionId, 10).map((m) => m.content)).toEqual(["hi", expect.stringMatching(/allowlist/), "hi again"]);
  });

  it("with a full session queue, still ignores chatter and answers commands; a message for the model gets rate_limited", () => {
    const t = setup({ telegram: { allowlist: ["ann"] } }, { maxQueuedPerSession: 1, titleSessions: false });
    t.install();
    const group: ChannelAddress = { ...ann, chatId: "-7", isGroup: true, mentioned: true };
    const first = t.send("@bot one", group); // runs (its model call fails later, asynchronously)
    t.send("@bot two", group); // waits: the queue is now full
    const chatter = t.send("lunch?", { ...group, mentioned: false });
    expect(chatter.done).toMatchObject({ status: "ignored" });
    expect(t.send("/help", group).done).toMatchObject({ status: "ok", text: expect.stringContaining("/sessions") });
    const over = t.send("@bot three", group);
    expect(over.error?.error.code).toBe("rate_limited");
    expect(t.fx.store.findRunByKey(`k5`)).toMatchObject({ status: "error", errorCode: "rate_limited" });
    expect(over.sessionId).toBe(first.sessionId);
  });

  it("keeps unmentioned group chatter of allowed senders in the context, not that of denied ones", () => {
    const t = setup({ telegram: { allowlist: ["ann"] } });
    t.install();
    const group = { ...ann, chatId: "-9", isGroup: true };
    const a = t.send("from ann", group);
    const b = t.send("from bob", { ...group, userId: "2", userName: "bob" });
    expect(a.done?.status).toBe("ignored");
    expect(b.done?.status).toBe("ignored");
    expect(t.context(a.sessionId)).toEqual(["from ann"]);
  });
});

describe("bridge supervision in the feature", () => {
  it("finds the CLI from argv[1] or next to the bundle", () => {
    expect(findCli("/nonexistent/cli/main.js", "file:///nonexistent/dist/bundle/chunk-X.js")).toBeUndefined();
    expect(findCli(undefined, new URL("../../dist/bundle/chunk-X.js", import.meta.url).href)).toBe(
      existsSync(join(import.meta.dirname, "../../dist/bundle/src/cli/main.js")) ? join(import.meta.dirname, "../../dist/bundle/src/cli/main.js") : undefined,
    );
  });

  it("restarts a bridge for the settings it reads: tokens, and Slack's groups policy; not for access lists", () => {
    const cfg = (channels: Record<string, unknown>) => ChannelsConfig.parse(channels);
    const slack = { enabled: true, botToken: "xoxb-1", appToken: "xapp-1" };
    expect(bridgeSettings(cfg({ slack }), "slack")).toBe(bridgeSettings(cfg({ slack: { ...slack, allowlist: ["U1"] } }), "slack"));
    expect(bridgeSettings(cfg({ slack }), "slack")).not.toBe(bridgeSettings(cfg({ slack: { ...slack, groups: "all" } }), "slack"));
    expect(bridgeSettings(cfg({ telegram: { enabled: true } }), "telegram")).toBe(bridgeSettings(cfg({ telegram: { enabled: true, groups: "all" } }), "telegram"));
    expect(bridgeSettings(cfg({ slack: { ...slack, enabled: false } }), "slack")).toBeUndefined();
  });

  it("starts enabled bridges and follows config edits: enable, disable, new token restarts, access edits do not", async () => {
    const t = setup({ telegram: { enabled: true, botToken: "a" }, discord: { enabled: false } });
    const starts = join(t.fx.dir, "starts");
    const feature = createChannelsFeature(t.ctx, {
      command: (platform) => ({ file: process.execPath, args: [FIXTURE, "stay", starts, platform] }),
      supervisor: { killGraceMs: 500 },
    });
    cleanups.push(() => feature.stop?.());
    const lines = () => (existsSync(starts) ? readFileSync(starts, "utf8").trim().split("\n").filter(Boolean) : []);
    const wait = async (count: number) => {
      for (let i = 0; i < 300 && lines().length < count; i++) await sleep(10);
      return lines();
    };
    const edit = (channels: Record<string, unknown>) => {
      const raw = { ...t.config.get(), channels };
      t.config.replace(Config.parse(raw));
    };
    await feature.start?.();
    expect((await wait(1)).map((l) => l.split(" ")[1])).toEqual(["telegram"]);
    // each bridge gets a bridge token of its own as AGENTD_TOKEN, never the daemon's
    expect(lines()[0]!.split(" ")[2]).toBe("minted-bridge-telegram");

    edit({ telegram: { enabled: true, botToken: "a", allowlist: ["ann"] }, discord: { enabled: true } });
    expect((await wait(2)).map((l) => l.split(" ")[1])).toEqual(["telegram", "discord"]);

    edit({ telegram: { enabled: true, botToken: "b", allowlist: ["ann"] }, discord: { enabled: false } });
    expect((await wait(3)).map((l) => l.split(" ")[1])).toEqual(["telegram", "discord", "telegram"]);
    await sleep(100);
    const pids = lines().map((l) => Number(l.split(" ")[0]));
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(pids.map(alive)).toEqual([false, false, true]);

    await feature.stop?.();
    expect(alive(pids[2]!)).toBe(false);
  });
});
