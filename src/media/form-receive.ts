import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Attachment } from "../../protocol/chat.js";
import { AgentdError } from "../errors.js";
import { sanitizeFileName, storedFileName, uploadMime } from "./safe-name.js";

/** Folder of received files inside the agent folder. */
export const UPLOADS_DIR = "uploads";

/** Bytes a multipart body may carry beyond its files (boundaries, part headers, small fields): 64 KiB. */
export const MULTIPART_OVERHEAD_BYTES = 65_536;

/** Limits of one multipart request: bytes per file, files, bytes of all files, and the text fields' total size. */
export interface FormLimits {
  maxBytes: number;
  maxFiles: number;
  maxTotalBytes: number;
  /** Most bytes of one text field (default 64 KiB). */
  maxFieldBytes?: number;
}

/** A received `multipart/form-data` body: its text fields and its files, stored under `uploads/`. */
export interface ReceivedForm {
  fields: Map<string, string>;
  files: Attachment[];
}

const tooLarge = (maxBytes: number, filename?: string) =>
  new AgentdError("payload_too_large", `${filename ? `${filename} is` : "the file is"} larger than uploads.maxBytes (${maxBytes} bytes)`, { details: { maxBytes } });

/** True for a `multipart/form-data` content type with a boundary. */
export const isMultipart = (contentType: string | undefined): boolean => /^multipart\/form-data\b.*\bboundary=/i.test(contentType ?? "");

/**
 * Streams a `multipart/form-data` request (RFC 7578) into its text fields and its files, parsed with
 * @fastify/busboy: each file goes to a temporary file in `DIR/uploads/` as it arrives and is renamed to
 * `<stamp>-<random>-<safe name>` only when the whole body was read and every limit held; on any failure every
 * file of the request is removed, so nothing partial is ever left. A part with a file name is a file; the others
 * are fields. Never holds more than a network chunk of a file in memory. Throws `payload_too_large` (413) for a
 * file over `maxBytes`, more than `maxFiles` files ({@link FormLimits}; `details.maxFiles`), all files over
 * `maxTotalBytes` (`details.maxMessageBytes`) or a body over their sum plus {@link MULTIPART_OVERHEAD_BYTES};
 * `bad_request` for a body that is not multipart/form-data or is malformed.
 */
export async function receiveForm(req: Request, limits: FormLimits & { dir: string }): Promise<ReceivedForm> {
  const contentType = req.headers.get("content-type") ?? "";
  if (!isMultipart(contentType)) throw new AgentdError("bad_request", "send the file as multipart/form-data (e.g. curl -F file=@photo.jpg)", { details: { path: "body" } });
  const maxBody = limits.maxTotalBytes + MULTIPART_OVERHEAD_BYTES;
  if (!req.body) throw new AgentdError("bad_request", "the body is empty: no file", { details: { path: "file" } });
  const reader = req.body.getReader();
  if (Number(req.headers.get("content-length") ?? Number.NaN) > maxBody) {
    await drain(reader);
    throw tooLarge(limits.maxBytes);
  }
  const folder = join(limits.dir, UPLOADS_DIR);
  // loaded on the first upload, not at start: the daemon's start evaluates nothing an upload alone needs
  // (docs/performance.md "Start-up: built-ins before the V8 flags, and modules loaded on first use")
  const [busboy] = await Promise.all([import("@fastify/busboy"), mkdir(folder, { recursive: true })]);
  // `default` is module.exports, the constructor, in Node and in esbuild's chunk of this CommonJS package (which
  // exports nothing else); its types describe the module namespace instead
  const Busboy = busboy.default as unknown as typeof busboy.Busboy;

  const fields = new Map<string, string>();
  const parts: Array<{ tmp: string; filename: string; mime: string; bytes: number }> = [];
  const writes: Promise<void>[] = [];
  const streams: Readable[] = [];
  let failure: unknown;
  let total = 0;
  const fail = (err: unknown) => (failure ??= err);
  const bb = Busboy({
    headers: { "content-type": contentType },
    limits: { fileSize: limits.maxBytes, files: limits.maxFiles, fields: 32, fieldSize: limits.maxFieldBytes ?? 65_536 },
  });
  bb.on("field", (name, value, _n, truncated) => {
    if (truncated) fail(new AgentdError("payload_too_large", `the field ${name} is too long`, { details: { path: name } }));
    fields.set(name, value);
  });
  bb.on("filesLimit", () => fail(new AgentdError("payload_too_large", `more than ${limits.maxFiles} files in one request`, { details: { maxFiles: limits.maxFiles } })));
  bb.on("file", (_name, stream, filename, _enc, mimeType) => {
    const part = { tmp: join(folder, `.upload-${randomUUID()}.part`), filename: filename || "file", mime: uploadMime(mimeType, filename || "file"), bytes: 0 };
    parts.push(part);
    streams.push(stream);
    stream.on("limit", () => fail(tooLarge(limits.maxBytes, sanitizeFileName(part.filename))));
    const count = new Transform({
      transform(chunk: Buffer, _e, cb) {
        part.bytes += chunk.byteLength;
        total += chunk.byteLength;
        if (total > limits.maxTotalBytes) {
          fail(new AgentdError("payload_too_large", `the files of this request are larger than ${limits.maxTotalBytes} bytes together`, { details: { maxMessageBytes: limits.maxTotalBytes } }));
        }
        cb(null, chunk);
      },
    });
    writes.push(pipeline(stream, count, createWriteStream(part.tmp, { flags: "wx", mode: 0o600 })).catch((err: unknown) => void fail(err)));
  });

  let received = 0;
  // read through our own reader (not `for await`, which cancels the request when the parse stops) so that a
  // refused body can still be drained below
  const body = Readable.from((async function* () {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      received += value.byteLength;
      if (received > maxBody) throw tooLarge(limits.maxBytes);
      if (failure) throw failure;
      yield value;
    }
  })());
  try {
    await pipeline(body, bb).catch((err: unknown) => {
      throw failure ?? (err instanceof AgentdError ? err : new AgentdError("bad_request", `the body is not valid multipart/form-data: ${(err as Error).message}`, { details: { path: "body" } }));
    });
    await Promise.all(writes);
    if (failure) throw failure;
    const files: Attachment[] = [];
    for (const p of parts) {
      const name = storedFileName(p.filename);
      await rename(p.tmp, join(folder, name));
      p.tmp = join(folder, name);
      files.push({ path: `${UPLOADS_DIR}/${name}`, filename: sanitizeFileName(p.filename), bytes: p.bytes, mime: p.mime });
    }
    return { fields, files };
  } catch (err) {
    // a stopped parse leaves file streams open: end them so their writes settle, then remove every file
    for (const st of streams) st.destroy();
    await Promise.allSettled(writes);
    await Promise.all(parts.map((p) => rm(p.tmp, { force: true })));
    if (err instanceof AgentdError && err.code === "payload_too_large") await drain(reader);
    throw err;
  }
}

/** Most bytes of a refused body read and thrown away so that its sender sees the 413 (see {@link drain}). */
export const DRAIN_MAX_BYTES = 64 * 1024 * 1024;
/** Longest time spent reading a refused body (see {@link drain}). */
export const DRAIN_TIMEOUT_MS = 10_000;

/**
 * Reads and discards the rest of a refused request body, up to {@link DRAIN_MAX_BYTES} and
 * {@link DRAIN_TIMEOUT_MS}, then cancels it. A server that answers early and closes with unread bytes makes the
 * kernel reset the connection, and the client (curl, fetch) may then lose the answer and report a broken pipe
 * instead of the 413 ("lingering close", as web servers do it; RFC 9112 §9.6). Never throws.
 */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  let read = 0;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), DRAIN_TIMEOUT_MS)));
  try {
    while (read <= DRAIN_MAX_BYTES) {
      const next = await Promise.race([reader.read(), timedOut]);
      if (next === "timeout") break; // a sender that stalls is not waited for
      if (next.done) return;
      read += next.value.byteLength;
    }
    await reader.cancel();
  } catch {
    // the client went away: nothing left to drain
  } finally {
    clearTimeout(timer);
  }
}
