import { closeSync, fstatSync, openSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { StorageError } from "../errors.js";
import { hashOf } from "./note-store.js";

/** The strong, quoted ETag of a note's bytes (RFC 9110 §8.8.3): {@link hashOf} them in double quotes. */
export function etagOf(buf: Buffer): string {
  return `"${hashOf(buf)}"`;
}

/**
 * Reads a file and its stat from one open file descriptor (so size in bytes and mtime in ms belong to the bytes
 * read). `undefined` when it does not exist (ENOENT, ENOTDIR); throws {@link StorageError} for any other failure.
 */
export function readIfExists(abs: string): { buf: Buffer; size: number; mtimeMs: number } | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(abs, "r");
    const st = fstatSync(fd);
    return { buf: readFileSync(fd), size: st.size, mtimeMs: st.mtimeMs };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw new StorageError(`cannot read note: ${code ?? "error"}`, err);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The vault-relative path of the first ancestor folder of `rel` that exists as something other than a folder
 * (why a write cannot create its folders), or `undefined`.
 */
export function fileAncestor(root: string, rel: string): string | undefined {
  const parts = rel.split("/").slice(0, -1);
  for (let i = 1; i <= parts.length; i++) {
    const sub = parts.slice(0, i).join("/");
    try {
      if (!statSync(join(root, ...parts.slice(0, i))).isDirectory()) return sub;
    } catch {
      return undefined;
    }
  }
  return undefined;
}
