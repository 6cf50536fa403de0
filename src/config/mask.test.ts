import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors.js";
import { looksMasked, maskConfig, maskSecret, unmaskSecrets } from "./mask.js";

const cfg = {
  model: "main",
  providers: { openai: { baseUrl: "https://x/v1", apiKey: "sk-proj-1234567890abcdef", headers: { "X-Key": "short" } }, local: { baseUrl: "http://l/v1", apiKey: "" } },
  channels: { telegram: { botToken: "123456:ABCDEFGHIJKLMNOP" } },
  mcp: { servers: { gh: { command: "x", env: { GITHUB_TOKEN: "ghp_abcdefghijklmnop" } } } },
  hooks: { github: { secret: "whsec-0123456789abcdef", prompt: "p" } },
};

describe("maskSecret / maskConfig", () => {
  it("shows long secrets as first 3 … last 4, short ones as [set], empty as empty", () => {
    expect(maskSecret("sk-proj-1234567890abcdef")).toBe("sk-…cdef");
    expect(maskSecret("short")).toBe("[set]");
    expect(maskSecret("")).toBe("");
    expect(looksMasked("sk-…cdef")).toBe(true);
    expect(looksMasked("[set]")).toBe(true);
    expect(looksMasked("sk-real-key")).toBe(false);
  });

  it("masks keys, header values, bot tokens, MCP env and webhook secrets, and nothing else", () => {
    const m = maskConfig(cfg);
    expect(m.providers.openai).toEqual({ baseUrl: "https://x/v1", apiKey: "sk-…cdef", headers: { "X-Key": "[set]" } });
    expect(m.providers.local.apiKey).toBe("");
    expect(m.channels.telegram.botToken).toBe("123…MNOP");
    expect(m.mcp.servers.gh).toEqual({ command: "x", env: { GITHUB_TOKEN: "ghp…mnop" } });
    expect(m.hooks.github).toEqual({ secret: "whs…cdef", prompt: "p" });
    expect(m.model).toBe("main");
    expect(cfg.providers.openai.apiKey).toBe("sk-proj-1234567890abcdef");
  });
});

describe("unmaskSecrets", () => {
  it("puts stored secrets back where the masked value was sent, keeps new real values", () => {
    const sent = maskConfig(cfg);
    sent.providers.local.apiKey = "new-real-key-value";
    const back = unmaskSecrets(sent, cfg);
    expect(back.providers.openai.apiKey).toBe("sk-proj-1234567890abcdef");
    expect(back.providers.openai.headers["X-Key"]).toBe("short");
    expect(back.mcp.servers.gh.env.GITHUB_TOKEN).toBe("ghp_abcdefghijklmnop");
    expect(back.providers.local.apiKey).toBe("new-real-key-value");
  });

  it("rejects a mask that matches no stored secret, naming the key path", () => {
    const sent = { providers: { groq: { baseUrl: "https://g/v1", apiKey: "sk-…cdef" } } };
    expect(() => unmaskSecrets(sent, cfg)).toThrow(ValidationError);
    expect(() => unmaskSecrets(sent, cfg)).toThrow(/providers\.groq\.apiKey/);
  });

  it("works on one section with its root path", () => {
    const section = { openai: { baseUrl: "https://x/v1", apiKey: "sk-…cdef" } };
    expect(unmaskSecrets(section, cfg, ["providers"]).openai.apiKey).toBe("sk-proj-1234567890abcdef");
  });
});
