import { lstatSync, realpathSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { ValidationError } from "../errors.js";

/** Longest vault-relative path accepted, in characters. */
export const MAX_PATH_CHARS = 1024;

/** True when a vault-relative path (forward slashes) has a hidden segment (`.obsidian/`, `.trash/`, `.x.md`). */
export function isHiddenRel(rel: string): boolean {
  return rel.split("/").some((s) => s.startsWith("."));
}

function reject(input: string, reason: string): never {
  throw new ValidationError(`invalid vault path ${JSON.stringify(input.slice(0, 200))}: ${reason}`, { path: "path" });
}

/** The longest file or folder name in the vault, in UTF-8 bytes: NAME_MAX (255) of ext4, APFS and NTFS. */
export const MAX_SEGMENT_BYTES = 255;

/**
 * Checks a vault-relative path as given by a client and returns it normalised (forward slashes, no empty or `.`
 * segments). `kind: "note"` requires a `.md` file name; `kind: "folder"` accepts `""` (the vault root).
 * Throws {@link ValidationError} (nothing touched) for: an empty note path, NUL/control characters, backslashes,
 * absolute paths (`/x`, `C:\x`), `..` segments, URL-encoded dots or slashes (`%2e`, `%2f`, `%5c`), hidden
 * segments (`.obsidian`, `.trash`, dotfiles), over-long paths or names (a name over {@link MAX_SEGMENT_BYTES}
 * UTF-8 bytes), and note paths not ending in `.md`.
 */
export function normalizeRelPath(input: string, kind: "note" | "folder"): string {
  if (typeof input !== "string") reject(String(input), "not a string");
  if (input.length > MAX_PATH_CHARS) reject(input, `longer than ${MAX_PATH_CHARS} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(input)) reject(input, "contains control characters");
  if (input.includes("\\")) reject(input, "backslashes are not allowed; use forward slashes");
  if (input.startsWith("/") || /^[A-Za-z]:/.test(input)) reject(input, "absolute paths are not allowed; give a path relative to the vault");
  if (/%(2e|2f|5c|00)/i.test(input)) reject(input, "URL-encoded dots or slashes are not allowed; decode the path first");
  const segments: string[] = [];
  for (const seg of input.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") reject(input, "'..' would escape the vault");
    if (seg.startsWith(".")) reject(input, `hidden folders and files (${seg}) are not part of the vault`);
    if (seg.trim() === "") reject(input, "blank path segment");
    // NAME_MAX of Linux, macOS and Windows file systems: a longer name could never be written (ENAMETOOLONG)
    if (Buffer.byteLength(seg, "utf8") > MAX_SEGMENT_BYTES) reject(input, `a file or folder name is longer than ${MAX_SEGMENT_BYTES} bytes (UTF-8)`);
    segments.push(seg);
  }
  const rel = segments.join("/");
  if (kind === "note") {
    if (rel === "") reject(input, "empty note path");
    if (!rel.endsWith(".md") || rel.length === 3 || rel.endsWith("/.md")) reject(input, "a note path must end in .md");
  }
  return rel;
}

/**
 * Maps a normalised vault-relative path (see {@link normalizeRelPath}) to an absolute path inside `vaultReal`
 * (the vault folder's realpath): the deepest existing ancestor (or the target itself when it exists) must be
 * its own real path: no symlink on the way, so every note has exactly one path (the one the index uses).
 * Throws {@link ValidationError} when a symlink leads outside the vault or into a hidden folder, or anywhere else
 * (a symlink to a folder of the vault, or to the agent folder above it, would give a note a second path), or when
 * `kind: "note"` names something that exists but is not a regular file (a folder, a socket).
 */
export function resolveInVault(vaultReal: string, rel: string, kind: "note" | "folder"): string {
  const abs = rel === "" ? vaultReal : join(vaultReal, ...rel.split("/"));
  let probe = abs;
  let real: string | undefined;
  for (;;) {
    try {
      real = realpathSync(probe);
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") reject(rel, `cannot be resolved (${code ?? "error"})`);
      // A dangling symlink: lstat succeeds but realpath fails. Refuse rather than write through it.
      try {
        if (lstatSync(probe).isSymbolicLink()) reject(rel, "is a symlink that points nowhere");
      } catch (e) {
        if (e instanceof ValidationError) throw e;
      }
      if (probe === vaultReal) reject(rel, "the vault folder does not exist");
      const parent = probe.slice(0, probe.lastIndexOf(sep));
      if (parent.length < vaultReal.length) reject(rel, "is outside the vault");
      probe = parent;
    }
  }
  const inside = real === vaultReal ? "" : real.startsWith(vaultReal + sep) ? relative(vaultReal, real) : undefined;
  if (inside === undefined) reject(rel, "leads outside the vault through a symlink");
  if (isHiddenRel(inside.split(sep).join("/"))) reject(rel, "leads into a hidden folder through a symlink");
  // a symlink back into the vault (or to the agent folder above it) would give one note a second path, and the
  // index (which skips symlinks) a second entry: a note is reached by its real path only
  const lexical = relative(vaultReal, probe);
  if (inside !== lexical) reject(rel, `goes through a symlink to ${JSON.stringify(inside.split(sep).join("/"))}; use the real path`);
  if (kind === "note" && probe === abs) {
    const st = lstatSync(real);
    if (!st.isFile()) reject(rel, "exists and is not a file");
  }
  return abs;
}

/** True when `abs` is a regular file (not a folder, not a symlink); false when it is anything else or absent. */
export function isFileAt(abs: string): boolean {
  try {
    return lstatSync(abs).isFile();
  } catch {
    return false;
  }
}
