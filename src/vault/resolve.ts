import { posix } from "node:path";
import { noteBasename } from "./parse.js";
import type { LinkKind } from "./types.js";

/**
 * The key under which a link is stored and looked up: the lower-cased file name of its target, without `.md`
 * for notes (`folder/My Note` → `my note`; `img/a.png` → `a.png`). Adding, removing or re-aliasing a note only
 * changes the resolution of links whose key is the note's basename or one of its aliases.
 */
export function linkKey(target: string): string {
  const name = target.slice(target.lastIndexOf("/") + 1).toLowerCase();
  return name.endsWith(".md") ? name.slice(0, -3) : name;
}

function addTo(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (!list) map.set(key, [value]);
  else if (!list.includes(value)) list.push(value);
}

function removeFrom(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (!list) return;
  const i = list.indexOf(value);
  if (i !== -1) list.splice(i, 1);
  if (list.length === 0) map.delete(key);
}

function folderOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i === -1 ? "" : path.slice(0, i);
}

/**
 * Obsidian's tie-break among notes sharing a file name (observed with `metadataCache.getFirstLinkpathDest`):
 * a note in the source note's own folder wins, otherwise the shortest path string, then alphabetical order.
 */
function pick(candidates: string[], sourcePath: string): string {
  if (candidates.length === 1) return candidates[0]!;
  const folder = folderOf(sourcePath);
  const sorted = [...candidates].sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
  return sorted.find((c) => folderOf(c) === folder) ?? sorted[0]!;
}

/**
 * In-memory link resolver over the vault's note paths, their aliases and attachment files (non-`.md` files).
 * Resolution follows Obsidian, case-insensitively:
 * 1. `[[#Heading]]` (empty target) → the source note itself.
 * 2. `./x`, `../x` → that path relative to the source note's folder, exactly (no fallback).
 * 3. markdown links `[t](sub/x.md)` → first relative to the source folder, then as below.
 * 4. an exact vault path (`.md` optional): `[[Note]]` → `Note.md` at the root, `[[a/b]]` → `a/b.md`.
 * 5. notes whose path ends with `/<target>.md`, tie-broken by {@link pick} (same folder, then shortest path).
 * 6. attachments by the same rules with the target's own extension (`![[img.png]]`).
 * 7. aliases (targets without `/`), tie-broken the same way. Otherwise unresolved (`null`).
 */
export class LinkResolver {
  private readonly notes = new Map<string, string>();
  private readonly noteByBase = new Map<string, string[]>();
  private readonly files = new Map<string, string>();
  private readonly fileByBase = new Map<string, string[]>();
  private readonly noteByAlias = new Map<string, string[]>();
  private readonly aliasesOf = new Map<string, string[]>();

  /** Forgets every note, alias and attachment. */
  clear(): void {
    for (const m of [this.notes, this.noteByBase, this.files, this.fileByBase, this.noteByAlias, this.aliasesOf]) m.clear();
  }

  /** Number of notes known. */
  get noteCount(): number {
    return this.notes.size;
  }

  /** True when the note path is known. */
  hasNote(path: string): boolean {
    return this.notes.get(path.toLowerCase()) === path;
  }

  /** Adds a note (or attachment, when the path does not end in `.md`); returns the link keys it may affect. */
  add(path: string): string[] {
    const lower = path.toLowerCase();
    if (lower.endsWith(".md")) {
      if (this.notes.get(lower) === path) return [];
      this.notes.set(lower, path);
      addTo(this.noteByBase, noteBasename(lower), path);
      return [noteBasename(lower)];
    }
    if (this.files.get(lower) === path) return [];
    this.files.set(lower, path);
    addTo(this.fileByBase, linkKey(lower), path);
    return [linkKey(lower)];
  }

  /** Removes a note or attachment and its aliases; returns the link keys it may affect. */
  remove(path: string): string[] {
    const lower = path.toLowerCase();
    if (lower.endsWith(".md")) {
      if (this.notes.get(lower) !== path) return [];
      const keys = [noteBasename(lower), ...this.setAliases(path, [])];
      this.notes.delete(lower);
      removeFrom(this.noteByBase, noteBasename(lower), path);
      return keys;
    }
    if (this.files.get(lower) !== path) return [];
    this.files.delete(lower);
    removeFrom(this.fileByBase, linkKey(lower), path);
    return [linkKey(lower)];
  }

  /** Replaces a note's aliases; returns the link keys whose resolution may change (old and new aliases). */
  setAliases(path: string, aliases: string[]): string[] {
    const before = this.aliasesOf.get(path) ?? [];
    const after = [...new Set(aliases.map((a) => a.toLowerCase()).filter((a) => a !== "" && !a.includes("/")))];
    if (before.length === after.length && before.every((a, i) => a === after[i])) return [];
    for (const a of before) removeFrom(this.noteByAlias, a, path);
    for (const a of after) addTo(this.noteByAlias, a, path);
    if (after.length === 0) this.aliasesOf.delete(path);
    else this.aliasesOf.set(path, after);
    return [...new Set([...before, ...after])];
  }

  /** The stored aliases (lower-cased) of a note. */
  aliases(path: string): string[] {
    return this.aliasesOf.get(path) ?? [];
  }

  private exact(lowerPath: string): string | undefined {
    const withMd = lowerPath.endsWith(".md") ? lowerPath : `${lowerPath}.md`;
    return this.notes.get(withMd) ?? this.files.get(lowerPath);
  }

  /** Resolves one link from `sourcePath`; returns the target vault path or `null`. See the class comment. */
  resolve(target: string, kind: LinkKind, sourcePath: string): string | null {
    let t = target.trim();
    if (t === "") return sourcePath;
    const lower = t.toLowerCase();
    if (lower.startsWith("./") || lower.startsWith("../")) {
      const joined = posix.normalize(posix.join(folderOf(sourcePath.toLowerCase()), lower));
      return joined.startsWith("../") ? null : (this.exact(joined) ?? null);
    }
    if (kind === "markdown") {
      const joined = posix.normalize(posix.join(folderOf(sourcePath.toLowerCase()), lower));
      const hit = joined.startsWith("../") ? undefined : this.exact(joined);
      if (hit) return hit;
    }
    t = lower.replace(/^\/+/, "");
    const direct = this.exact(t);
    if (direct) return direct;
    const noteKey = t.endsWith(".md") ? t : `${t}.md`;
    const suffix = `/${noteKey}`;
    const notes = (this.noteByBase.get(noteBasename(noteKey)) ?? []).filter((p) => p.toLowerCase().endsWith(suffix));
    if (notes.length > 0) return pick(notes, sourcePath);
    const fileSuffix = `/${t}`;
    const files = (this.fileByBase.get(linkKey(t)) ?? []).filter((p) => p.toLowerCase().endsWith(fileSuffix));
    if (files.length > 0) return pick(files, sourcePath);
    if (!t.includes("/")) {
      const byAlias = this.noteByAlias.get(t);
      if (byAlias && byAlias.length > 0) return pick(byAlias, sourcePath);
    }
    return null;
  }
}
