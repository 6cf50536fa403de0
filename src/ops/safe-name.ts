import { randomBytes } from "node:crypto";
import { extname } from "node:path";

/** Longest file name agentd keeps for an upload, in characters (after the stamp prefix is added: < 140). */
export const MAX_NAME_CHARS = 100;

/**
 * Makes a client-supplied file name safe to store: keeps the last path segment only (both `/` and `\` count, so
 * `../../etc/passwd` becomes `passwd`), drops control characters and characters Windows refuses (`<>:"|?*`),
 * removes leading dots (no hidden files, no `..`), collapses whitespace and shortens to {@link MAX_NAME_CHARS}
 * keeping the extension. Never empty: falls back to `file`. Pure; does not add the unique prefix.
 */
export function sanitizeFileName(name: string): string {
  const last = name.split(/[/\\]/).pop() ?? "";
  let clean = last
    .normalize("NFC")
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, "")
    .replace(/[<>:"|?*]/g, "_")
    .replace(/\s+/g, " ")
    .trim()
    .replace(/^[.\s]+/, "")
    .replace(/[.\s]+$/, "");
  if (!clean) return "file";
  if (clean.length > MAX_NAME_CHARS) {
    const ext = extname(clean).slice(0, 16);
    clean = clean.slice(0, MAX_NAME_CHARS - ext.length) + ext;
  }
  return clean;
}

/**
 * The name an upload is stored under: `YYYYMMDD-HHMMSS-<6 hex>-<sanitized name>` (UTC), so names sort by
 * arrival and two uploads of `photo.jpg` never collide. See {@link sanitizeFileName}.
 */
export function storedFileName(original: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${stamp}-${randomBytes(3).toString("hex")}-${sanitizeFileName(original)}`;
}

const AUDIO_TYPES: Record<string, string> = {
  ".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".wav": "audio/wav", ".ogg": "audio/ogg", ".oga": "audio/ogg",
  ".opus": "audio/ogg", ".flac": "audio/flac", ".webm": "audio/webm", ".aac": "audio/aac", ".mpga": "audio/mpeg",
};

/**
 * The media type of an upload: the part's `Content-Type` when it is a well-formed `type/subtype` other than
 * `application/octet-stream`; else a guess from common audio extensions (curl sends octet-stream for them);
 * else `application/octet-stream`. Parameters (`; charset=…`) are dropped; the result is lower-case, ≤ 128 chars.
 */
export function uploadMime(contentType: string | undefined, filename: string): string {
  const base = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (/^[a-z0-9][a-z0-9!#$&^_.+-]{0,62}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}$/.test(base) && base !== "application/octet-stream") return base;
  return AUDIO_TYPES[extname(filename).toLowerCase()] ?? "application/octet-stream";
}
