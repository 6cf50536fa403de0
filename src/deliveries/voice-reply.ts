import type { Logger } from "pino";
import type { DeliveryAddress, DeliveryAttachment } from "../../protocol/deliveries.js";
import type { Config } from "../config/schema.js";
import type { ProviderPool } from "../agent/provider.js";
import { writeGeneratedFile } from "./attachments.js";

/** Longest text spoken, in characters: OpenAI's `/audio/speech` takes at most 4096; a longer reply goes as text. */
export const SPEECH_MAX_CHARS = 4096;

/** Whether `address` gets voice replies for a run: `channels.<platform>.voiceReplies` is `always`, or `when-voice` and the user sent audio. */
export function wantsVoice(config: Config, address: DeliveryAddress, voiceIn: boolean): boolean {
  const channel = (config.channels as Record<string, { voiceReplies?: string } | undefined>)[address.platform];
  const mode = channel?.voiceReplies ?? "off";
  return mode === "always" || (mode === "when-voice" && voiceIn);
}

/**
 * Speaks a run's reply (issue 12) when one of its targets wants voice replies and `uploads.speechModel` is set:
 * the provider's OpenAI-compatible `POST /audio/speech` (openai SDK `audio.speech.create`, `response_format: opus`,
 * an Ogg/Opus file as Telegram's sendVoice and WhatsApp voice notes take it), voice `uploads.speechVoice`, saved
 * under `uploads/` as a `voice` attachment. Resolves undefined when no voice is wanted, the text is longer than
 * {@link SPEECH_MAX_CHARS}, or the provider fails (logged; the reply then goes as text). Never throws.
 */
export async function speakReply(
  deps: { dir: string; config: () => Config; pool: ProviderPool; logger: Logger },
  run: { id: string; deliverTo: readonly DeliveryAddress[]; voiceIn: boolean; silentReply?: string | undefined }, text: string,
): Promise<DeliveryAttachment | undefined> {
  if (run.silentReply !== undefined && text.trim() === run.silentReply.trim()) return undefined; // nothing is delivered
  const cfg = deps.config();
  const modelName = cfg.uploads.speechModel;
  if (!modelName || !run.deliverTo.some((a) => wantsVoice(cfg, a, run.voiceIn))) return undefined;
  if (text.length > SPEECH_MAX_CHARS) {
    deps.logger.info({ runId: run.id, chars: text.length }, `reply longer than ${SPEECH_MAX_CHARS} characters: sent as text, not spoken`);
    return undefined;
  }
  try {
    const model = await deps.pool.resolve(modelName);
    const res = await model.client.audio.speech.create({ model: model.config.model, voice: cfg.uploads.speechVoice, input: text, response_format: "opus" });
    const bytes = new Uint8Array(await res.arrayBuffer());
    return await writeGeneratedFile(deps.dir, "reply.ogg", bytes, { voice: true });
  } catch (err) {
    deps.logger.warn({ runId: run.id, err: (err as Error).message }, "text-to-speech failed; the reply goes as text");
    return undefined;
  }
}
