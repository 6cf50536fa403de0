import { randomBytes } from "node:crypto";
import { extname } from "node:path";

/**
 * Longest file name agentd keeps for an upload, in UTF-8 bytes: with the 23-byte stamp prefix of
 * {@link storedFileName} the stored name stays under the 255-byte `NAME_MAX` of Linux file systems (ext4, XFS,
 * btrfs), whatever the script (a CJK character takes 3 bytes, an emoji 4).
 */
export const MAX_NAME_BYTES = 200;
/** Longest extension kept when a name is shortened, in UTF-8 bytes (`.jpeg`, `.tar.gz` fit easily). */
export const MAX_EXT_BYTES = 16;

/**
 * The grapheme segmenter, made on first use: building one loads ICU's break-iterator rules and data, ~1.5 MB of
 * resident memory that a daemon which never shortens a long upload name should not carry (docs/performance.md).
 */
let graphemes: Intl.Segmenter | undefined;

/**
 * The longest start of `text` of at most `maxBytes` UTF-8 bytes that ends on a grapheme cluster boundary
 * (Unicode UAX #29, `Intl.Segmenter`): never half a surrogate pair, a code point, an emoji sequence or a letter
 * with its combining accents.
 */
export function cutUtf8Bytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let out = "";
  let bytes = 0;
  for (const { segment } of (graphemes ??= new Intl.Segmenter(undefined, { granularity: "grapheme" })).segment(text)) {
    bytes += Buffer.byteLength(segment);
    if (bytes > maxBytes) break;
    out += segment;
  }
  return out;
}

const trimName = (s: string) => s.trim().replace(/^[.\s]+/, "").replace(/[.\s]+$/, "");

/**
 * Makes a client-supplied file name safe to store: keeps the last path segment only (both `/` and `\` count, so
 * `../../etc/passwd` becomes `passwd`), drops control characters and characters Windows refuses (`<>:"|?*`),
 * replaces lone surrogates, removes leading dots (no hidden files, no `..`), collapses whitespace and shortens to
 * {@link MAX_NAME_BYTES} UTF-8 bytes keeping the extension (cut by {@link cutUtf8Bytes}, so the name written to
 * disk is the name returned). Never empty: falls back to `file`. Pure; does not add the unique prefix.
 */
export function sanitizeFileName(name: string): string {
  const last = name.split(/[/\\]/).pop() ?? "";
  let clean = trimName(
    last
      .normalize("NFC")
      .replace(/[\u0000-\u001f\u007f-\u009f]/g, "")
      .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "_")
      .replace(/[<>:"|?*]/g, "_")
      .replace(/\s+/g, " "),
  );
  if (!clean) return "file";
  if (Buffer.byteLength(clean) > MAX_NAME_BYTES) {
    const whole = extname(clean);
    const ext = Buffer.byteLength(whole) <= MAX_EXT_BYTES ? whole : "";
    const stem = trimName(cutUtf8Bytes(clean.slice(0, clean.length - ext.length), MAX_NAME_BYTES - Buffer.byteLength(ext)));
    clean = stem ? stem + ext : cutUtf8Bytes(clean, MAX_NAME_BYTES);
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
