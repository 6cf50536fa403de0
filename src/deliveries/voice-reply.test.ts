import { describe, expect, it } from "vitest";
import { pino } from "pino";
import { Config } from "../config/schema.js";
import { SPEECH_MAX_CHARS, speakReply, wantsVoice } from "./voice-reply.js";
import type { ProviderPool } from "../agent/provider.js";

const config = (voiceReplies: string, speechModel?: string) =>
  Config.parse({
    model: "main",
    providers: { openai: { baseUrl: "http://127.0.0.1:9/v1" } },
    models: { main: { provider: "openai", model: "m" }, tts: { provider: "openai", model: "tts-1" } },
    channels: { telegram: { voiceReplies } },
    ...(speechModel ? { uploads: { speechModel } } : {}),
  });
const tg = { platform: "telegram", chatId: "1" };

describe("wantsVoice", () => {
  it("follows channels.<platform>.voiceReplies: off, when-voice (only after a voice note), always", () => {
    expect([wantsVoice(config("off"), tg, true), wantsVoice(config("when-voice"), tg, false), wantsVoice(config("when-voice"), tg, true), wantsVoice(config("always"), tg, false)])
      .toEqual([false, false, true, true]);
    expect(wantsVoice(config("always"), { platform: "discord", chatId: "1" }, true)).toBe(false);
  });
});

describe("speakReply", () => {
  const logger = pino({ level: "silent" });
  const failingPool = { resolve: async () => { throw new Error("must not be called"); } } as unknown as ProviderPool;
  const run = { id: "r1", deliverTo: [tg], voiceIn: false };

  it("asks no provider when no target wants voice, no speech model is set, the reply is silent or too long", async () => {
    const deps = (c: ReturnType<typeof config>) => ({ dir: "/nonexistent", config: () => c, pool: failingPool, logger });
    expect(await speakReply(deps(config("off", "tts")), run, "hi")).toBeUndefined();
    expect(await speakReply(deps(config("always")), run, "hi")).toBeUndefined();
    expect(await speakReply(deps(config("always", "tts")), { ...run, silentReply: "NOTHING" }, " NOTHING ")).toBeUndefined();
    expect(await speakReply(deps(config("always", "tts")), run, "x".repeat(SPEECH_MAX_CHARS + 1))).toBeUndefined();
  });

  it("falls back to text (undefined) when the provider fails, without throwing", async () => {
    const asked: unknown[] = [];
    const create = async (body: unknown) => { asked.push(body); throw new Error("503"); };
    const pool = { resolve: async () => ({ config: { model: "tts-1" }, client: { audio: { speech: { create } } } }) } as unknown as ProviderPool;
    expect(await speakReply({ dir: "/nonexistent", config: () => config("always", "tts"), pool, logger }, run, "hi")).toBeUndefined();
    expect(asked).toEqual([{ model: "tts-1", voice: "alloy", input: "hi", response_format: "opus" }]);
  });
});
