import { readdirSync } from "node:fs";
import { join } from "node:path";

/**
 * Walks the vault folder lazily, yielding vault-relative paths (forward slashes) of regular files.
 * Hidden entries (`.obsidian/`, `.trash/`, `.git/`, dotfiles) are skipped, and so are symlinks (a symlink could
 * lead outside the vault; the API refuses those too). Unreadable folders are skipped silently.
 * A generator, so the indexer can walk in time slices without blocking the event loop.
 */
export function* walkVault(root: string, folder = ""): Generator<string> {
  let entries;
  try {
    entries = readdirSync(folder === "" ? root : join(root, folder), { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.name.startsWith(".")) continue;
    const rel = folder === "" ? e.name : `${folder}/${e.name}`;
    if (e.isDirectory()) yield* walkVault(root, rel);
    else if (e.isFile()) yield rel;
  }
}
