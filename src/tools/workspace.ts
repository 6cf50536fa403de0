import { mkdirSync, realpathSync } from "node:fs";
import { lstat, realpath } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, sep } from "node:path";
import { PathEscapeError } from "./errors.js";

/** The folder of an agent folder that `exec` and the file tools work in: `DIR/workspace/`. */
export const WORKSPACE_FOLDER = "workspace";

/** `DIR/workspace`, created when missing (agents made before issue 13 have none). Returns its real path. */
export function ensureWorkspace(dir: string): string {
  const ws = join(dir, WORKSPACE_FOLDER);
  mkdirSync(ws, { recursive: true });
  return realpathSync(ws);
}

const inside = (root: string, p: string) => {
  const rel = relative(root, p);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
};

/**
 * Resolves `path` (relative, `/` separated) inside the workspace `root` (a real path) and returns the absolute
 * host path. Refused with {@link PathEscapeError}: absolute paths, any `..` segment, NUL bytes, and paths whose
 * existing part resolves (through symlinks) outside `root`. A path that does not exist yet is checked through
 * its deepest existing ancestor, so `file_write` can create files. `""` and `.` are the root itself.
 */
export async function resolveInWorkspace(root: string, path: string): Promise<string> {
  if (path.includes("\0")) throw new PathEscapeError(path, "it contains a NUL byte");
  if (isAbsolute(path) || /^[a-zA-Z]:/.test(path)) throw new PathEscapeError(path, "it is absolute");
  if (path.split(/[\\/]/).includes("..")) throw new PathEscapeError(path, "it contains '..'");
  const target = join(root, path);
  // the deepest part of the path that exists decides where it really points
  let existing = target;
  for (;;) {
    try {
      await lstat(existing);
      break;
    } catch {
      const up = dirname(existing);
      if (up === existing) break;
      existing = up;
    }
  }
  let real: string;
  try {
    real = await realpath(existing);
  } catch {
    throw new PathEscapeError(path, "it goes through a symlink that points nowhere");
  }
  if (!inside(root, real)) throw new PathEscapeError(path, "it leads outside the workspace (through a symlink)");
  return target.length > existing.length ? join(real, target.slice(existing.length + (existing.endsWith(sep) ? 0 : 1))) : real;
}

/** `abs` as a workspace-relative path with `/` separators (`.` for the root). */
export function workspaceRelative(root: string, abs: string): string {
  return relative(root, abs).split(sep).join("/") || ".";
}
