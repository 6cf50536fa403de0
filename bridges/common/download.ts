/**
 * Downloading a file a chat user sent (Telegram `getFile` URLs, Discord attachment URLs) so the bridge can upload
 * it to the daemon, with a size cap so a huge file never fills the bridge's memory.
 */

/** Default most bytes a bridge downloads per file: 20 MiB (the Bot API's own getFile limit). */
export const DEFAULT_MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024;

/**
 * Fetches `url` into memory, with `headers` (e.g. Slack's `Authorization: Bearer <bot token>` for
 * `url_private_download`). Throws `Error` on a non-2xx status, or when the body (or its `content-length`) is
 * larger than `maxBytes` (default {@link DEFAULT_MAX_DOWNLOAD_BYTES}); the message never contains the URL (which
 * may embed a bot token).
 */
export async function fetchBytes(url: string, opts: { maxBytes?: number; signal?: AbortSignal; headers?: Record<string, string> } = {}): Promise<Uint8Array<ArrayBuffer>> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES;
  const res = await fetch(url, { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.headers ? { headers: opts.headers } : {}) });
  if (!res.ok) throw new Error(`download failed with HTTP ${res.status}`);
  const declared = Number(res.headers.get("content-length") ?? "0");
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw new Error(`file too large: ${declared} bytes (limit ${maxBytes})`);
  }
  const parts: Uint8Array[] = [];
  let total = 0;
  if (res.body) {
    for await (const part of res.body) {
      total += part.byteLength;
      if (total > maxBytes) throw new Error(`file too large: over ${maxBytes} bytes`);
      parts.push(part);
    }
  }
  const out = new Uint8Array(new ArrayBuffer(total));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
