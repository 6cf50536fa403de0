import type { z } from "zod";
import type { Attachment } from "../../protocol/chat.js";
import { AgentdError } from "../errors.js";
import { receiveForm } from "./form-receive.js";

/** A stored upload: `path` relative to the agent folder (`uploads/…`), the original (sanitized) file name, size and type. */
export type StoredUpload = z.infer<typeof Attachment>;

/**
 * Streams one uploaded file from a multipart request to `DIR/uploads/<stamp>-<random>-<safe name>` with
 * {@link receiveForm} (@fastify/busboy): checked first against `Content-Length`, then byte by byte while it is
 * written to a temporary file, renamed when complete and removed on any failure, so nothing partial is ever left.
 * Throws `payload_too_large` (413) above `maxBytes` (the file) or `maxBytes` + `MULTIPART_OVERHEAD_BYTES` (form-receive.ts)
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
