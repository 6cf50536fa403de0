import { randomBytes } from "node:crypto";
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { AgentdError, ConflictError, StorageError, ValidationError } from "../errors.js";
import { hasFrontmatter, parseFrontmatterYaml, sameFrontmatter, splitFrontmatter, stringifyFrontmatter } from "./frontmatter.js";

/** Largest note a write accepts, in bytes (8 MiB). */
export const MAX_NOTE_BYTES = 8 * 1024 * 1024;

/** What a write asks for: a new body (`content`) and/or new frontmatter, see {@link composeNote}. */
export interface NoteChange {
  content?: string | undefined;
  frontmatter?: Record<string, unknown> | undefined;
}

/** Strips `W/` and quotes so `"abc"`, `abc` and `W/"abc"` compare equal. */
function bareTag(tag: string): string {
  return tag.trim().replace(/^W\//, "").replace(/^"(.*)"$/, "$1");
}

/**
 * Checks an `If-Match` value against the current ETag (`undefined` when the note does not exist).
 * `*` matches any existing note. Throws {@link ConflictError} (with `details.etag`, the current one) on mismatch.
 */
export function checkIfMatch(path: string, ifMatch: string | undefined, current: string | undefined): void {
  if (ifMatch === undefined) return;
  if (current === undefined) throw new ConflictError(`${path} does not exist (If-Match given)`, { path, etag: null });
  if (ifMatch.trim() === "*") return;
  if (!ifMatch.split(",").some((t) => bareTag(t) === bareTag(current))) {
    throw new ConflictError(`${path} changed since it was read (ETag mismatch)`, { path, etag: current });
  }
}

/**
 * Builds the new file text from the current one (`undefined` for a new note) and a change:
 * - `content` only: the new body after the existing frontmatter block, whose bytes stay untouched; content that
 *   itself starts with a frontmatter block replaces the whole file.
 * - `frontmatter` only: the existing body untouched; the block is re-serialised only when the data differ
 *   (compared as JSON, key order ignored), so an unchanged frontmatter keeps its exact bytes. `{}` removes it.
 * - both: the block as above, then `content` as the body, literally (even if it starts with `---`), so a
 *   read → write round trip of any note is byte-exact.
 * Throws {@link ValidationError} when neither is given; an error with code `payload_too_large` above
 * {@link MAX_NOTE_BYTES}.
 */
export function composeNote(current: string | undefined, change: NoteChange): string {
  const { content, frontmatter } = change;
  if (content === undefined && frontmatter === undefined) throw new ValidationError("give content and/or frontmatter", { path: "content" });
  if (frontmatter !== undefined && (frontmatter === null || typeof frontmatter !== "object" || Array.isArray(frontmatter))) {
    throw new ValidationError("frontmatter must be an object", { path: "frontmatter" });
  }
  const old = splitFrontmatter(current ?? "");
  let text: string;
  if (frontmatter === undefined) {
    text = hasFrontmatter(content!) ? content! : old.block + content!;
  } else {
    const bom = old.block.startsWith("\uFEFF") ? "\uFEFF" : "";
    const oldData = old.yaml === undefined ? undefined : parseFrontmatterYaml(old.yaml);
    const block = oldData !== undefined && sameFrontmatter(oldData, frontmatter) ? old.block : bom + stringifyFrontmatter(frontmatter);
    text = block + (content ?? old.body);
  }
  if (Buffer.byteLength(text) > MAX_NOTE_BYTES) {
    throw new AgentdError("payload_too_large", `note is larger than ${MAX_NOTE_BYTES} bytes`, { details: { maxBytes: MAX_NOTE_BYTES } });
  }
  return text;
}

/**
 * Writes `data` to `abs` atomically: a hidden temp file in the same folder (ignored by the indexer and the
 * watcher), flushed, then renamed over the target. Readers (Obsidian, the indexer) see the old or the new bytes,
 * never a mix. Throws {@link StorageError} (and removes the temp file) when the disk refuses.
 */
export function atomicWrite(abs: string, data: Buffer): void {
  const tmp = join(dirname(abs), `.agentd-${randomBytes(6).toString("hex")}.tmp`);
  try {
    writeFileSync(tmp, data, { flush: true });
    renameSync(tmp, abs);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new StorageError(`cannot write note: ${(err as NodeJS.ErrnoException).code ?? "error"}`, err);
  }
}
