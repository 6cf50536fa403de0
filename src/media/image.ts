import { readFile, stat } from "node:fs/promises";
import { imageTokens } from "./vision.js";

/** Longest side of an image sent to a model, in pixels (OpenAI fits high detail into 2048×2048). */
export const IMAGE_MAX_SIDE = 2048;
/** Shortest side of an image sent to a model, in pixels (OpenAI scales the short side to 768 at high detail). */
export const IMAGE_MAX_SHORT_SIDE = 768;
/** Largest encoded image sent as is, in bytes (Anthropic's 5 MB per image, with room for base64's growth). */
export const IMAGE_MAX_BYTES = 3_500_000;

/** An image ready for an `image_url` content part: a data URL and the tokens the provider counts for it. */
export interface PreparedImage {
  dataUrl: string;
  tokens: number;
  width: number;
  height: number;
}

const cache = new Map<string, PreparedImage>();
const CACHE_ENTRIES = 16;

/**
 * Reads an image and makes it fit the providers' limits: scaled (never up) to fit {@link IMAGE_MAX_SIDE} and a
 * short side of {@link IMAGE_MAX_SHORT_SIDE} (what OpenAI does itself at high detail, so no detail is lost and
 * fewer bytes travel), re-encoded as JPEG (quality 85) when scaled or over {@link IMAGE_MAX_BYTES}, with sharp
 * (libvips). The last {@link CACHE_ENTRIES} results are kept by path, size and mtime, so the recent window does
 * not re-encode every turn. Returns undefined when the image cannot be decoded (the model then gets a line).
 */
export async function prepareImage(file: string, mime: string): Promise<PreparedImage | undefined> {
  const st = await stat(file);
  const key = `${file}\0${st.size}\0${st.mtimeMs}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const data = await readFile(file);
  let out: PreparedImage;
  try {
    const { default: sharp } = await import("sharp");
    const img = sharp(data, { failOn: "error", animated: false }).rotate();
    const meta = await img.metadata();
    let w = meta.autoOrient?.width ?? meta.width ?? 0;
    let h = meta.autoOrient?.height ?? meta.height ?? 0;
    if (!w || !h) return undefined;
    const scale = Math.min(1, IMAGE_MAX_SIDE / Math.max(w, h), IMAGE_MAX_SHORT_SIDE / Math.min(w, h));
    if (scale < 1 || data.byteLength > IMAGE_MAX_BYTES || mime === "image/gif") {
      w = Math.max(1, Math.round(w * scale));
      h = Math.max(1, Math.round(h * scale));
      const buf = await img.resize(w, h, { fit: "fill" }).jpeg({ quality: 85 }).toBuffer();
      out = { dataUrl: `data:image/jpeg;base64,${buf.toString("base64")}`, tokens: imageTokens(w, h), width: w, height: h };
    } else {
      out = { dataUrl: `data:${mime};base64,${data.toString("base64")}`, tokens: imageTokens(w, h), width: w, height: h };
    }
  } catch {
    return undefined;
  }
  cache.set(key, out);
  if (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  return out;
}
