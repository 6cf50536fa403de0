import { openAsBlob } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { Attachment } from "../../protocol/chat.js";
import { AgentdError } from "../errors.js";
import type { DaemonContext } from "../feature.js";
import { modelError } from "../agent/provider.js";
import { defineRoute, type Router } from "../gateway/router.js";
import { receiveForm } from "./form-receive.js";

export { UPLOADS_DIR, MULTIPART_OVERHEAD_BYTES } from "./form-receive.js";

/** A stored upload: `path` relative to the agent folder (`uploads/…`), the original (sanitized) file name, size and type. */
export type StoredUpload = z.infer<typeof Attachment>;

/**
 * `POST /api/upload`: one file as `multipart/form-data` (field `file`, or the first part with a file name).
 * Answers 201 with an {@link Attachment} to pass to `chat.send`; 413 above `uploads.maxBytes`; 400 for a body
 * that is not multipart or has no file.
 */
export const uploadRoute = defineRoute({
  method: "post", path: "/api/upload", scope: ["chat", "bridge"], tag: "ops", status: 201, errors: [400, 413],
  summary: "Store a file under uploads/ (multipart/form-data, field `file`); audio is transcribed when uploads.transcriptionModel is set.",
  raw: { request: "multipart/form-data" },
  body: z.object({ file: z.string().describe("the file's bytes (binary)") }),
  response: Attachment,
});

/**
 * Streams one uploaded file from a multipart request to `DIR/uploads/<stamp>-<random>-<safe name>` with
 * {@link receiveForm} (@fastify/busboy): checked first against `Content-Length`, then byte by byte while it is
 * written to a temporary file, renamed when complete and removed on any failure, so nothing partial is ever left.
 * Throws `payload_too_large` (413) above `maxBytes` (the file) or `maxBytes` + {@link MULTIPART_OVERHEAD_BYTES}
 * (the whole body), `bad_request` for a body that is not multipart/form-data, has no file part or has more than one.
 */
export async function receiveUpload(req: Request, opts: { dir: string; maxBytes: number }): Promise<StoredUpload> {
  let form;
  try {
    form = await receiveForm(req, { dir: opts.dir, maxBytes: opts.maxBytes, maxFiles: 1, maxTotalBytes: opts.maxBytes });
  } catch (err) {
    if (err instanceof AgentdError && err.details?.maxFiles !== undefined) throw new AgentdError("bad_request", "send one file per request", { details: { path: "file" } });
    if (err instanceof AgentdError && err.details?.maxMessageBytes !== undefined) throw new AgentdError("payload_too_large", `the file is larger than uploads.maxBytes (${opts.maxBytes} bytes)`, { details: { maxBytes: opts.maxBytes } });
    throw err;
  }
  const file = form.files[0];
  if (!file) throw new AgentdError("bad_request", "no file in the body: send it in a part named `file`", { details: { path: "file" } });
  return file;
}

/**
 * Transcribes a stored audio file with the configured `uploads.transcriptionModel` through the provider's
 * OpenAI-compatible `POST /audio/transcriptions` (openai SDK `audio.transcriptions.create`; the file is streamed
 * from disk). Throws the mapped provider error (`model_error`, `rate_limited`, `timeout`).
 */
export async function transcribe(ctx: Pick<DaemonContext, "pool" | "dir">, modelName: string, upload: StoredUpload): Promise<string> {
  const model = await ctx.pool.resolve(modelName);
  try {
    const blob = await openAsBlob(join(ctx.dir, upload.path), { type: upload.mime });
    const res = await model.client.audio.transcriptions.create({ model: model.config.model, file: new File([blob], upload.filename, { type: upload.mime }) });
    return res.text;
  } catch (err) {
    throw modelError(err, modelName);
  }
}

/**
 * Receives the files and fields of a multipart `POST /api/chat` (text and files in one request) within the
 * message limits (`uploads.maxBytes` per file, `maxFiles`, `maxMessageBytes`), and transcribes audio as
 * `POST /api/upload` does (a failed transcription is logged; the message then says the voice note was not
 * transcribed). `discard` removes the stored files again (the message was refused). Throws like {@link receiveForm}.
 */
export async function receiveChatForm(req: Request, ctx: Pick<DaemonContext, "pool" | "dir" | "config" | "logger">): Promise<{ fields: Map<string, string>; files: StoredUpload[]; discard(): Promise<void> }> {
  const cfg = ctx.config.get().uploads;
  const form = await receiveForm(req, { dir: ctx.dir, maxBytes: cfg.maxBytes, maxFiles: cfg.maxFiles, maxTotalBytes: cfg.maxMessageBytes, maxFieldBytes: 400_000 });
  for (const f of form.files) {
    if (!cfg.transcriptionModel || !f.mime.startsWith("audio/")) continue;
    try {
      f.transcription = await transcribe(ctx, cfg.transcriptionModel, f);
    } catch (err) {
      ctx.logger.warn({ path: f.path, err: (err as Error).message }, "transcription failed");
    }
  }
  return { ...form, discard: async () => void (await Promise.all(form.files.map((f) => rm(join(ctx.dir, f.path), { force: true })))) };
}

/**
 * Mounts `POST /api/upload`. Audio (`audio/*`) is transcribed when `uploads.transcriptionModel` is set; when
 * transcription fails the file is kept, `transcription` is absent, the reason is logged as a warning and sent in
 * the `X-Transcription-Error` response header (`code: message`).
 */
export function uploadRoutes(router: Router, ctx: DaemonContext): void {
  const logger = ctx.logger.child({ component: "uploads" });
  router.route(uploadRoute, async ({ c }) => {
    const cfg = ctx.config.get().uploads;
    const upload = await receiveUpload(c.req.raw, { dir: ctx.dir, maxBytes: cfg.maxBytes });
    logger.info({ path: upload.path, bytes: upload.bytes, mime: upload.mime }, "file uploaded");
    if (cfg.transcriptionModel && upload.mime.startsWith("audio/")) {
      try {
        upload.transcription = await transcribe(ctx, cfg.transcriptionModel, upload);
      } catch (err) {
        const e = err instanceof AgentdError ? err : modelError(err, cfg.transcriptionModel);
        logger.warn({ path: upload.path, code: e.code }, `transcription failed: ${e.message}`);
        c.header("X-Transcription-Error", ctx.redact(`${e.code}: ${e.message}`).replace(/[^\x20-\x7e]/g, "?").slice(0, 300));
      }
    }
    return c.json(upload, 201);
  });
}
