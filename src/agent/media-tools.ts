import { openAsBlob } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import type { Attachment } from "../../protocol/chat.js";
import { z } from "zod";
import type { Config } from "../config/schema.js";
import type { Store } from "../store/store.js";
import { AgentdError } from "../errors.js";
import { completeModelCall, type CallUsage } from "./model-call.js";
import { modelError, type ProviderPool, type ResolvedModel } from "./provider.js";
import { defineTool, type Tool } from "./tools/tool.js";
import { UPLOADS_DIR } from "../media/form-receive.js";
import { clipText, documentText } from "../media/extract.js";
import { attachmentOfPath, attachmentPath, formatBytes } from "../media/files.js";
import { prepareImage } from "../media/image.js";

/** Characters `attachment_read` returns per call. */
export const ATTACHMENT_READ_MAX_CHARS = 20_000;

const pathArg = z.string().min(1).max(1024).describe(`the file's path as the message names it, e.g. ${UPLOADS_DIR}/20261127-103000-ab12-receipt.pdf`);

/** Describes an upload by its path (name, type from the extension, size on disk), for the tools. */
async function uploadOf(dir: string, path: string) {
  const file = attachmentPath(dir, { path });
  const handle = await open(file, "r").catch(() => {
    throw new AgentdError("not_found", `no upload at ${path}`);
  });
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(Math.min(size, 64));
    await handle.read(head, 0, head.length, 0);
    return { file, head, attachment: { ...attachmentOfPath(path), bytes: size } };
  } finally {
    await handle.close();
  }
}

/**
 * The media tools (issue 12). `attachment_read {path, offset?}`: the text of a file a user sent (text, markdown,
 * CSV, JSON, PDF text via unpdf, any other file that is valid UTF-8), {@link ATTACHMENT_READ_MAX_CHARS} characters
 * per call from `offset`; for a binary file its type, size and first 64 bytes in hex. `describe_image {path,
 * question?}` (only when `uploads.visionModel` is set): asks that vision model about an image, for an active model
 * without vision; its usage is recorded with the run. Paths must lie under `uploads/`.
 */
export function mediaTools(deps: { dir: string; pool: ProviderPool; config: () => Config; store: Store; price: (m: ResolvedModel, u: CallUsage) => number | null }): () => Tool[] {
  const read = defineTool({
    name: "attachment_read",
    description: "Read the text of a file the user sent (documents, PDF, CSV, JSON, code), in pages of 20000 characters.",
    input: z.strictObject({ path: pathArg, offset: z.number().int().min(0).default(0).describe("character offset to start at") }),
    run: async ({ path, offset }) => {
      const { head, attachment, file } = await uploadOf(deps.dir, path);
      let text = await documentText(deps.dir, attachment);
      if (text === undefined) {
        try {
          const { readFile } = await import("node:fs/promises");
          text = new TextDecoder("utf-8", { fatal: true }).decode(await readFile(file));
        } catch {
          return `${attachment.filename}: binary (${attachment.mime}, ${formatBytes(attachment.bytes)}); first bytes: ${head.toString("hex")}`;
        }
      }
      if (offset >= text.length && text.length > 0) return `(offset ${offset} is past the end: the text has ${text.length} characters)`;
      return clipText(text, ATTACHMENT_READ_MAX_CHARS, offset, path);
    },
  });
  const describe = defineTool({
    name: "describe_image",
    description: "Describe an image the user sent (or answer a question about it) with the configured vision model.",
    input: z.strictObject({ path: pathArg, question: z.string().max(2000).optional().describe("what to look for; default: a full description") }),
    run: async ({ path, question }, ctx) => {
      const visionModel = deps.config().uploads.visionModel;
      if (!visionModel) throw new AgentdError("bad_request", "no uploads.visionModel is configured");
      const { attachment } = await uploadOf(deps.dir, path);
      const img = await prepareImage(attachmentPath(deps.dir, attachment), attachment.mime);
      if (!img) throw new AgentdError("bad_request", `${attachment.filename} could not be decoded as an image`);
      const res = await completeModelCall({
        pool: deps.pool, candidates: [visionModel], signal: ctx.signal,
        messages: [{ role: "user", content: [
          { type: "text", text: question ?? "Describe this image in detail: what it shows, any text in it (verbatim), numbers, people, places." },
          { type: "image_url", image_url: { url: img.dataUrl } },
        ] }],
      });
      if (res.usage) {
        deps.store.recordUsage({ sessionId: ctx.sessionId, runId: ctx.runId, model: res.model.name, provider: res.model.providerName, purpose: "chat", ...res.usage, costUsd: deps.price(res.model, res.usage) });
      }
      return res.text;
    },
  });
  return () => (deps.config().uploads.visionModel ? [read, describe] : [read]);
}

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
