import { statSync } from "node:fs";
import { isAbsolute, join, normalize, sep } from "node:path";
import type { Attachment } from "../../protocol/chat.js";
import type { UploadsConfig } from "../config/schema.js";
import { AgentdError } from "../errors.js";
import { UPLOADS_DIR } from "./form-receive.js";
import { uploadMime } from "./safe-name.js";

const TYPES: Record<string, string> = {
  jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", webp: "image/webp", gif: "image/gif", pdf: "application/pdf",
  txt: "text/plain", md: "text/markdown", csv: "text/csv", json: "application/json", yaml: "application/yaml", yml: "application/yaml",
};

/** The media type of a stored file by its extension (images, PDF, text types, then the audio types of `uploadMime`). */
export function mimeOfName(filename: string): string {
  return TYPES[/\.([a-z0-9]+)$/i.exec(filename)?.[1]?.toLowerCase() ?? ""] ?? uploadMime(undefined, filename);
}

/**
 * An attachment for an upload given only by its path (`uploads/20261127-103000-ab12cd-receipt.pdf`, what
 * `POST /api/upload` answered as `path`): the original name is the stored name without its stamp, the type comes
 * from the extension; `bytes` is filled in by {@link checkAttachments}. A transcription is only kept when the
 * whole upload answer is passed instead.
 */
export function attachmentOfPath(path: string): Attachment {
  const stored = path.split("/").pop() ?? path;
  const filename = /^\d{8}-\d{6}-[0-9a-f]{6}-(.+)$/.exec(stored)?.[1] ?? stored;
  return { path, filename, mime: mimeOfName(filename), bytes: 0 };
}

/** `1.2 MB`, `340 KB`, `12 B`: a size for people (decimal units, as phones show them). */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${Math.round(bytes / 1e3)} KB`;
  return `${bytes} B`;
}

/** True for an audio attachment (a voice note or an audio file): MIME type `audio/*`. */
export const isAudio = (a: Attachment): boolean => a.mime.startsWith("audio/");
/** True for an image the model may see: JPEG, PNG, WebP or GIF (the types OpenAI-compatible APIs take). */
export const isImage = (a: Attachment): boolean => /^image\/(jpeg|png|webp|gif)$/.test(a.mime);
/** True for a document whose text can be inlined: `text/*` (plain, markdown, CSV…), JSON, YAML, XML. */
export const isTextDocument = (a: Attachment): boolean =>
  a.mime.startsWith("text/") || /^application\/(json|x-ndjson|ld\+json|yaml|x-yaml|xml)$/.test(a.mime) || /\.(md|csv|json|txt|ya?ml|log)$/i.test(a.filename);
/** True for a PDF. */
export const isPdf = (a: Attachment): boolean => a.mime === "application/pdf" || /\.pdf$/i.test(a.filename);

/** The one line that names a file for the model: `[file photo.jpg: image/jpeg, 1.2 MB, uploads/…]`. */
export function fileLine(a: Attachment, note?: string): string {
  return `[file ${a.filename}: ${a.mime}, ${formatBytes(a.bytes)}, ${a.path}${note ? `; ${note}` : ""}]`;
}

/**
 * The absolute path of an attachment, checked to lie inside `DIR/uploads/` (no `..`, no absolute path). Throws
 * `bad_request` otherwise: a message can only reference files `POST /api/upload` stored.
 */
export function attachmentPath(dir: string, a: Pick<Attachment, "path">): string {
  const rel = normalize(a.path);
  if (isAbsolute(rel) || !rel.startsWith(UPLOADS_DIR + sep) || rel.split(sep).includes("..")) {
    throw new AgentdError("bad_request", `attachment path ${JSON.stringify(a.path)} is not a file under uploads/ (send files through POST /api/upload)`, { details: { path: "attachments" } });
  }
  return join(dir, rel);
}

/**
 * Checks the files of a message before anything is stored (issue 12): each one must be a stored upload (under
 * `uploads/`, present; its real size replaces the claimed one), at most `uploads.maxFiles` files, each at most
 * `uploads.maxBytes` and all together at most `uploads.maxMessageBytes`. Returns the attachments with their real
 * sizes. Throws `bad_request` (not an upload, missing) or `payload_too_large` (over a limit), naming the file and the limit.
 */
export function checkAttachments(dir: string, files: Attachment[], limits: UploadsConfig): Attachment[] {
  if (files.length > limits.maxFiles) {
    throw new AgentdError("payload_too_large", `${files.length} files in one message; the limit is ${limits.maxFiles} (uploads.maxFiles)`, { details: { maxFiles: limits.maxFiles } });
  }
  let total = 0;
  const out = files.map((a) => {
    const st = statSync(attachmentPath(dir, a), { throwIfNoEntry: false });
    if (!st?.isFile()) throw new AgentdError("bad_request", `attachment ${a.path} does not exist (upload it first with POST /api/upload)`, { details: { path: "attachments" } });
    if (st.size > limits.maxBytes) {
      throw new AgentdError("payload_too_large", `${a.filename} is ${formatBytes(st.size)}; the limit is ${formatBytes(limits.maxBytes)} per file (uploads.maxBytes)`, { details: { maxBytes: limits.maxBytes } });
    }
    total += st.size;
    return { ...a, bytes: st.size };
  });
  if (total > limits.maxMessageBytes) {
    throw new AgentdError("payload_too_large", `the files of this message take ${formatBytes(total)}; the limit is ${formatBytes(limits.maxMessageBytes)} per message (uploads.maxMessageBytes)`, { details: { maxMessageBytes: limits.maxMessageBytes } });
  }
  return out;
}

/**
 * The text stored for a user message (issue 12): a voice note's transcription becomes the text, introduced as
 * one (`[voice note voice-5.ogg, transcribed]`), followed by the caption if any; an audio file without a
 * transcription says so. Other files are not mentioned here (they travel as attachments).
 */
export function messageText(text: string, files: Attachment[]): string {
  const voice = files.filter(isAudio).map((a) =>
    a.transcription !== undefined
      ? `[voice note ${a.filename}, transcribed]\n${a.transcription.trim()}`
      : `[voice note ${a.filename}: not transcribed (no uploads.transcriptionModel, or the transcription failed)]`);
  return [...voice, text].filter(Boolean).join("\n\n");
}
