import { randomUUID } from "node:crypto";
import { openAsBlob } from "node:fs";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { Attachment } from "../../protocol/chat.js";
import { AgentdError } from "../errors.js";
import type { DaemonContext } from "../feature.js";
import { modelError } from "../agent/provider.js";
import { defineRoute, type Router } from "../gateway/router.js";
import { multipartBoundary, parseMultipart } from "./multipart.js";
import { sanitizeFileName, storedFileName, uploadMime } from "./safe-name.js";

/** Folder of received files inside the agent folder. */
export const UPLOADS_DIR = "uploads";

/** Bytes a multipart body may carry beyond the file itself (boundaries, part headers, small fields): 64 KiB. */
export const MULTIPART_OVERHEAD_BYTES = 65_536;

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

const tooLarge = (maxBytes: number) =>
  new AgentdError("payload_too_large", `the file is larger than uploads.maxBytes (${maxBytes} bytes)`, { details: { maxBytes } });

async function* counted(body: AsyncIterable<Uint8Array>, maxBytes: number): AsyncGenerator<Uint8Array> {
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > maxBytes + MULTIPART_OVERHEAD_BYTES) throw tooLarge(maxBytes);
    yield chunk;
  }
}

/**
 * Streams one uploaded file from a multipart request to `DIR/uploads/<stamp>-<random>-<safe name>`: checked
 * first against `Content-Length`, then byte by byte while it is written to a temporary file in the same folder,
 * which is renamed when complete and removed on any failure, so nothing partial is ever left. Never holds more
 * than one network chunk in memory. Throws `payload_too_large` (413) above `maxBytes` (the file) or
 * `maxBytes` + {@link MULTIPART_OVERHEAD_BYTES} (the whole body), `bad_request` for a body that is not
 * multipart/form-data, has no file part or has more than one.
 */
export async function receiveUpload(req: Request, opts: { dir: string; maxBytes: number }): Promise<StoredUpload> {
  const boundary = multipartBoundary(req.headers.get("content-type") ?? undefined);
  if (!boundary) throw new AgentdError("bad_request", "send the file as multipart/form-data (e.g. curl -F file=@photo.jpg)", { details: { path: "body" } });
  const declared = Number(req.headers.get("content-length") ?? Number.NaN);
  if (declared > opts.maxBytes + MULTIPART_OVERHEAD_BYTES) throw tooLarge(opts.maxBytes);
  if (!req.body) throw new AgentdError("bad_request", "the body is empty: no file", { details: { path: "file" } });

  const folder = join(opts.dir, UPLOADS_DIR);
  await mkdir(folder, { recursive: true });
  const tmp = join(folder, `.upload-${randomUUID()}.part`);
  let file: Awaited<ReturnType<typeof open>> | undefined;
  let found: { filename: string; contentType: string | undefined } | undefined;
  let writing = false;
  let bytes = 0;
  try {
    for await (const ev of parseMultipart(counted(req.body, opts.maxBytes), boundary)) {
      if (ev.type === "part") {
        writing = false;
        const isFile = ev.part.filename !== undefined || ev.part.name === "file";
        if (!isFile) continue;
        if (found) throw new AgentdError("bad_request", "send one file per request", { details: { path: "file" } });
        found = { filename: ev.part.filename ?? "file", contentType: ev.part.contentType };
        file = await open(tmp, "wx", 0o600);
        writing = true;
      } else if (writing && file) {
        bytes += ev.chunk.byteLength;
        if (bytes > opts.maxBytes) throw tooLarge(opts.maxBytes);
        await file.write(ev.chunk);
      }
    }
    if (!found || !file) throw new AgentdError("bad_request", "no file in the body: send it in a part named `file`", { details: { path: "file" } });
    await file.close();
    file = undefined;
    const name = storedFileName(found.filename);
    await rename(tmp, join(folder, name));
    return { path: `${UPLOADS_DIR}/${name}`, filename: sanitizeFileName(found.filename), bytes, mime: uploadMime(found.contentType, found.filename) };
  } catch (err) {
    await file?.close().catch(() => {});
    await rm(tmp, { force: true });
    throw err;
  }
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
