import { rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { Attachment } from "../../../protocol/chat.js";
import { AgentdError } from "../../errors.js";
import type { DaemonContext } from "../../feature.js";
import { modelError } from "../../agent/provider.js";
import { transcribe } from "../../agent/media-tools.js";
import { receiveForm } from "../../media/form-receive.js";
import { receiveUpload, type StoredUpload } from "../../media/uploads.js";
import { defineRoute, type Router } from "../router.js";

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

/** What the upload routes use of the daemon. */
export type UploadDeps = Pick<DaemonContext, "pool" | "dir" | "config" | "logger" | "redact">;

/**
 * Sets `file.transcription` of an audio file (`audio/*`) when `uploads.transcriptionModel` is set; a failed
 * transcription keeps the file and goes to `onError` as an {@link AgentdError} (the provider's, mapped).
 */
async function transcribeAudio(ctx: Omit<UploadDeps, "redact">, file: StoredUpload, onError: (e: AgentdError) => void): Promise<void> {
  const model = ctx.config.get().uploads.transcriptionModel;
  if (!model || !file.mime.startsWith("audio/")) return;
  try {
    file.transcription = await transcribe(ctx, model, file);
  } catch (err) {
    onError(err instanceof AgentdError ? err : modelError(err, model));
  }
}

/**
 * Receives the files and fields of a multipart `POST /api/chat` (text and files in one request) within the
 * message limits (`uploads.maxBytes` per file, `maxFiles`, `maxMessageBytes`), and transcribes audio as
 * `POST /api/upload` does (a failed transcription is logged; the message then says the voice note was not
 * transcribed). `discard` removes the stored files again (the message was refused). Throws like {@link receiveForm}.
 */
export async function receiveChatForm(req: Request, ctx: Omit<UploadDeps, "redact">): Promise<{ fields: Map<string, string>; files: StoredUpload[]; discard(): Promise<void> }> {
  const cfg = ctx.config.get().uploads;
  const form = await receiveForm(req, { dir: ctx.dir, maxBytes: cfg.maxBytes, maxFiles: cfg.maxFiles, maxTotalBytes: cfg.maxMessageBytes, maxFieldBytes: 400_000 });
  for (const f of form.files) await transcribeAudio(ctx, f, (e) => ctx.logger.warn({ path: f.path, err: e.message }, "transcription failed"));
  return { ...form, discard: async () => void (await Promise.all(form.files.map((f) => rm(join(ctx.dir, f.path), { force: true })))) };
}

/**
 * Mounts `POST /api/upload`. Audio (`audio/*`) is transcribed when `uploads.transcriptionModel` is set; when
 * transcription fails the file is kept, `transcription` is absent, the reason is logged as a warning and sent in
 * the `X-Transcription-Error` response header (`code: message`).
 */
export function mountUploadRoutes(router: Router, ctx: UploadDeps): void {
  const logger = ctx.logger.child({ component: "uploads" });
  router.route(uploadRoute, async ({ c }) => {
    const upload = await receiveUpload(c.req.raw, { dir: ctx.dir, maxBytes: ctx.config.get().uploads.maxBytes });
    logger.info({ path: upload.path, bytes: upload.bytes, mime: upload.mime }, "file uploaded");
    await transcribeAudio(ctx, upload, (e) => {
      logger.warn({ path: upload.path, code: e.code }, `transcription failed: ${e.message}`);
      c.header("X-Transcription-Error", ctx.redact(`${e.code}: ${e.message}`).replace(/[^\x20-\x7e]/g, "?").slice(0, 300));
    });
    return c.json(upload, 201);
  });
}
