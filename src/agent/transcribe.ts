import { openAsBlob } from "node:fs";
import { join } from "node:path";
import type { Attachment } from "../../protocol/chat.js";
import { modelError, type ProviderPool } from "./provider.js";

/**
 * Transcribes a stored audio file (`upload.path` relative to the agent folder `dir`) with the model `modelName`
 * (`uploads.transcriptionModel`) through the provider's OpenAI-compatible `POST /audio/transcriptions` (openai SDK
 * `audio.transcriptions.create`; the file is streamed from disk). Throws the mapped provider error
 * (`model_error`, `rate_limited`, `timeout`).
 */
export async function transcribe(deps: { pool: ProviderPool; dir: string }, modelName: string, upload: Pick<Attachment, "path" | "mime" | "filename">): Promise<string> {
  const model = await deps.pool.resolve(modelName);
  try {
    const blob = await openAsBlob(join(deps.dir, upload.path), { type: upload.mime });
    const res = await model.client.audio.transcriptions.create({ model: model.config.model, file: new File([blob], upload.filename, { type: upload.mime }) });
    return res.text;
  } catch (err) {
    throw modelError(err, modelName);
  }
}
