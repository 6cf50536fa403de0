import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it, expect } from "vitest";
import { parseDocument } from "yaml";
import { ChannelsConfig, PlatformAccess, accessOf } from "./channels.js";
import { parseConfig } from "../load.js";

const TEMPLATE = join(import.meta.dirname, "..", "..", "..", "agent-template", "agentd.yaml");

/** The commented `channels:` block of the template, uncommented one level (its example values). */
function templateChannels(): { text: string; value: unknown } {
  const lines = readFileSync(TEMPLATE, "utf8").split("\n");
  const start = lines.indexOf("# channels:");
  const block: string[] = [];
  for (const line of lines.slice(start)) {
    if (!line.startsWith("#")) break;
    block.push(line.replace(/^# ?/, ""));
  }
  const text = block.join("\n");
  const uncommented = text.split("\n").filter((l) => !/^\s*#/.test(l)).join("\n");
  const env = { TELEGRAM_BOT_TOKEN: "t", DISCORD_BOT_TOKEN: "d", SLACK_BOT_TOKEN: "xoxb-s", SLACK_APP_TOKEN: "xapp-s" };
  const value = (parseDocument(uncommented.replace(/\$\{(\w+)\}/g, (_m, k: string) => env[k as keyof typeof env] ?? "")).toJS() as { channels: unknown }).channels;
  return { text, value };
}

describe("channels config", () => {
  it("defaults to nobody answered and no bridge started", () => {
    const a = accessOf(ChannelsConfig.parse({}), "telegram");
    expect(a).toMatchObject({ enabled: false, policy: "allowlist", allowlist: [], groups: "mention", allowModelSwitch: false });
    expect(accessOf(ChannelsConfig.parse({}), "irc")).toEqual(a);
  });

  it("accepts numeric ids from YAML and rejects imprecise ones with a clear reason", () => {
    expect(ChannelsConfig.parse({ telegram: { allowlist: [42, "@ann"] } }).telegram?.allowlist).toEqual(["42", "@ann"]);
    const bad = ChannelsConfig.safeParse({ discord: { allowlist: [123456789012345678901] } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toContain("must be quoted");
  });

  it("rejects unknown keys and platforms", () => {
    expect(ChannelsConfig.safeParse({ telegram: { alowlist: [] } }).success).toBe(false);
    expect(ChannelsConfig.safeParse({ irc: {} }).success).toBe(false);
  });

  it("has its template block valid and every access key documented", () => {
    const { text, value } = templateChannels();
    const parsed = ChannelsConfig.parse(value);
    expect(parsed.telegram?.botToken).toBe("t");
    for (const key of Object.keys(PlatformAccess.shape)) expect(text).toContain(`${key}:`);
    for (const key of ["botToken", "apiRoot", "apiBase", "maxMessageChars", "appToken", "apiUrl", "teamIds"]) expect(text).toContain(`${key}:`);
  });

  it("the template as shipped (channels commented out) still parses", () => {
    const text = readFileSync(TEMPLATE, "utf8").replace("__AGENT_NAME__", "t");
    expect(parseConfig(text, "agentd.yaml", { OPENAI_API_KEY: "" }).channels).toEqual({});
  });
});
