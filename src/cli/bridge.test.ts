import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, it, expect } from "vitest";
import { bridgeCommand, bridgeEntry } from "./bridge.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A temp folder with an agent config and a fake bridge module that records what runBridge got. */
function setup(channels = "") {
  const dir = mkdtempSync(join(tmpdir(), "agentd-bridge-cli-"));
  dirs.push(dir);
  writeFileSync(join(dir, "agentd.yaml"), `model: m\nproviders:\n  p:\n    baseUrl: http://127.0.0.1:1/v1\nmodels:\n  m:\n    provider: p\n    model: x\n${channels}`);
  const entry = join(dir, `fake-bridge-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(entry, "export async function runBridge(opts) { globalThis.__bridgeCalls = [...(globalThis.__bridgeCalls ?? []), opts]; }\n");
  return { dir, entry, calls: () => (globalThis as { __bridgeCalls?: unknown[] }).__bridgeCalls ?? [] };
}

describe("agentd bridge", () => {
  it("finds the bundled bridge next to the bundled CLI", () => {
    expect(bridgeEntry("telegram", "/x/dist/bundle/src/cli/main.js")).toBe(resolve("/x/dist/bundle/bridges/telegram/main.js"));
    expect(bridgeEntry("discord", "/x/dist/src/cli/main.js")).toBe(resolve("/x/dist/bridges/discord/main.js"));
  });

  it("runs the bridge with the agent folder and its platform config", async () => {
    const t = setup("channels:\n  telegram:\n    botToken: abc\n    apiRoot: http://127.0.0.1:9/\n");
    await bridgeCommand({ platform: "telegram", agentDir: t.dir, entry: t.entry });
    expect(t.calls().at(-1)).toEqual({
      agentDir: t.dir,
      config: expect.objectContaining({ botToken: "abc", apiRoot: "http://127.0.0.1:9/", policy: "allowlist" }),
    });
  });

  it("connects by URL and token, with the config of a folder when one is given", async () => {
    const t = setup("channels:\n  discord:\n    botToken: xyz\n");
    await bridgeCommand({ platform: "discord", url: "http://10.0.0.2:8765", token: "T", entry: t.entry });
    expect(t.calls().at(-1)).toEqual({ url: "http://10.0.0.2:8765", token: "T" });
    await bridgeCommand({ platform: "discord", url: "http://10.0.0.2:8765", token: "T", agentDir: t.dir, entry: t.entry });
    // the folder still goes along: it holds the bridge's own state (WhatsApp's login) besides the config
    expect(t.calls().at(-1)).toEqual({ url: "http://10.0.0.2:8765", token: "T", agentDir: t.dir, config: expect.objectContaining({ botToken: "xyz" }) });
  });

  it("refuses unknown platforms, a missing target, a bad config and a missing bridge", async () => {
    const t = setup();
    await expect(bridgeCommand({ platform: "irc", agentDir: t.dir, entry: t.entry })).rejects.toMatchObject({ code: "bad_request", message: expect.stringContaining("telegram, discord, whatsapp") });
    await expect(bridgeCommand({ platform: "telegram", entry: t.entry })).rejects.toMatchObject({ code: "bad_request" });
    const bad = setup("channels:\n  telegram:\n    policy: closed\n");
    await expect(bridgeCommand({ platform: "telegram", agentDir: bad.dir, entry: bad.entry })).rejects.toMatchObject({ keyPath: "channels.telegram.policy" });
    await expect(bridgeCommand({ platform: "telegram", agentDir: t.dir, entry: join(t.dir, "nope.js") })).rejects.toMatchObject({ code: "not_found" });
    expect(t.calls().filter((c) => (c as { agentDir?: string }).agentDir === t.dir)).toEqual([]);
  });

  it("turns a bridge's config failure (exitCode 78) into a ConfigError, so the CLI exits 78", async () => {
    const t = setup();
    writeFileSync(t.entry, 'export async function runBridge() { throw Object.assign(new Error("telegram: no bot token"), { exitCode: 78 }); }\n');
    await expect(bridgeCommand({ platform: "telegram", agentDir: t.dir, entry: t.entry })).rejects.toMatchObject({
      name: "ConfigError", keyPath: "channels.telegram", reason: "telegram: no bot token", file: join(t.dir, "agentd.yaml"),
    });
    const other = setup();
    writeFileSync(other.entry, 'export async function runBridge() { throw new Error("network down"); }\n');
    await expect(bridgeCommand({ platform: "telegram", agentDir: other.dir, entry: other.entry })).rejects.toThrow("network down");
  });
});
