import { mkdir, realpath, stat, writeFile } from "node:fs/promises";
import { basename, isAbsolute, join, relative, sep } from "node:path";
import { randomBytes } from "node:crypto";
import type { AttachmentKind, DeliveryAttachment } from "../../protocol/deliveries.js";
import { NotFoundError, ValidationError } from "../errors.js";

/** The agent-folder subfolders a file may be sent from (issue 12): the vault, uploads and the workspace. */
export const SENDABLE_ROOTS = ["vault", "uploads", "workspace"] as const;

/** Largest file the agent may attach, in bytes (100 MiB; each bridge then applies its platform's own limit). */
export const ATTACHMENT_MAX_BYTES = 100 * 1024 * 1024;

/** The {@link AttachmentKind} a MIME type is sent as: `image/*` → image, `audio/*` → audio, `video/*` → video, else document. */
export function kindOfMime(mimeType: string, voice = false): AttachmentKind {
  if (voice) return "voice";
  if (/^image\/(png|jpeg|gif|webp)$/.test(mimeType)) return "image"; // what chat apps show as photos; SVG/TIFF go as documents
  if (mimeType.startsWith("audio/")) return "audio";
  if (mimeType.startsWith("video/")) return "video";
  return "document";
}

const inside = (root: string, p: string) => {
  const r = relative(root, p);
  return r !== "" && !r.startsWith("..") && !isAbsolute(r);
};

/**
 * Resolves a path the agent names to a sendable file of the agent folder `dir`: `vault/…`, `uploads/…` or
 * `workspace/…` relative to the folder, or any other relative path as a vault path (`notes/report.pdf`). The
 * real path (symlinks followed) must lie inside one of {@link SENDABLE_ROOTS} and be a regular file of at most
 * {@link ATTACHMENT_MAX_BYTES}. Throws `ValidationError` (outside, absolute, too large, not a file) or
 * `NotFoundError` (missing), changing nothing. Hidden files and folders (`.obsidian/`, `.env`) are refused, as
 * the vault tools refuse them.
 */
export async function resolveAttachment(dir: string, path: string, opts: { name?: string | undefined; voice?: boolean } = {}): Promise<DeliveryAttachment> {
  const clean = path.replace(/\\/g, "/").replace(/^\.\//, "");
  if (isAbsolute(clean) || clean.split("/").includes("..")) throw new ValidationError(`path: "${path}" must be relative, under vault/, uploads/ or workspace/`, { path: "path" });
  if (clean.split("/").some((seg) => seg.startsWith("."))) throw new ValidationError(`path: "${path}" is in a hidden folder or a hidden file`, { path: "path" });
  const rel = SENDABLE_ROOTS.some((r) => clean.startsWith(`${r}/`)) ? clean : `vault/${clean}`;
  let real: string;
  try {
    real = await realpath(join(dir, rel));
  } catch {
    throw new NotFoundError(`no file ${rel}`, { path: rel });
  }
  const realDir = await realpath(dir);
  const root = await Promise.all(SENDABLE_ROOTS.map((r) => realpath(join(realDir, r)).catch(() => undefined)));
  if (!root.some((r) => r !== undefined && inside(r, real))) throw new ValidationError(`path: "${path}" is outside vault/, uploads/ and workspace/`, { path: "path" });
  const st = await stat(real);
  if (!st.isFile()) throw new ValidationError(`path: "${rel}" is not a file`, { path: "path" });
  if (st.size > ATTACHMENT_MAX_BYTES) throw new ValidationError(`path: "${rel}" is ${st.size} bytes, over ${ATTACHMENT_MAX_BYTES}`, { path: "path" });
  // loaded on first use: mime-types builds its tables from mime-db's ~2,500 types at load (~10 ms of every start; issue 20)
  const { default: mime } = await import("mime-types");
  const mimeType = mime.lookup(real) || "application/octet-stream";
  return { path: relative(realDir, real).split(sep).join("/"), name: opts.name ?? basename(real), mime: mimeType, bytes: st.size, kind: kindOfMime(mimeType, opts.voice) };
}

/**
 * Writes generated content (text, or bytes) to `uploads/<stamp>-<random>-<name>` of the agent folder `dir` and
 * returns it as an attachment. `name` is reduced to a safe file name. Throws `ValidationError` for an empty name.
 */
export async function writeGeneratedFile(dir: string, name: string, content: string | Uint8Array, opts: { voice?: boolean } = {}): Promise<DeliveryAttachment> {
  const safe = basename(name).replace(/[^\w.\- ]+/g, "_").slice(0, 120);
  if (!safe.replace(/[._ ]/g, "")) throw new ValidationError("name: a file name is needed (e.g. notes.md)", { path: "name" });
  await mkdir(join(dir, "uploads"), { recursive: true });
  const file = `uploads/${Date.now()}-${randomBytes(4).toString("hex")}-${safe}`;
  await writeFile(join(dir, file), content, { flag: "wx" });
  return resolveAttachment(dir, file, { name: safe, ...(opts.voice ? { voice: true } : {}) });
}
