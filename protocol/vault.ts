import { z } from "zod";
import { defineMethod } from "./method-spec.js";

/**
 * Vault methods (issue 4): the agent's Obsidian-compatible markdown notes. Paths are vault-relative with forward
 * slashes and end in `.md` (e.g. `Projects/Plan.md`); `..`, absolute paths, symlinks leading outside and hidden
 * folders (`.obsidian/`, `.trash/`) are refused with `bad_request`. REST: `/api/vault/notes[/{path}]`,
 * `/api/vault/graph`, `/api/vault/search` carry the same shapes.
 */

/** A vault-relative note path, e.g. `Projects/Plan.md`. */
export const NotePath = z.string().min(1).max(1024).describe("vault-relative note path ending in .md, e.g. `Projects/Plan.md`");

/** A strong ETag as returned by `vault.read`/`vault.write` (quoted content hash), or `*` for "any existing note". */
export const ETag = z.string().min(1).max(200).describe('ETag from vault.read or vault.write, e.g. "\\"k3J...\\""');

/** Parsed YAML frontmatter (an object; `{}` when absent or invalid). */
export const Frontmatter = z.record(z.string(), z.unknown());

/** How a link is written: `[[x]]`, `![[x]]` or `[text](x.md)`. */
export const LinkKind = z.enum(["wikilink", "embed", "markdown"]);

/** One outgoing link; `resolved` is the target note/attachment path or `null` when unresolved. */
export const NoteLink = z.strictObject({
  kind: LinkKind,
  target: z.string().describe("link path as written, without #heading and |display; empty for a same-note heading link"),
  resolved: z.string().nullable(),
  heading: z.string().optional(),
  blockId: z.string().optional(),
  display: z.string().optional(),
});

/** A note that links to the one read. */
export const Backlink = z.strictObject({ path: z.string(), title: z.string() });

/** One row of `vault.list`; `size` in bytes, `mtimeMs` in ms since the epoch. */
export const NoteSummary = z.strictObject({
  path: z.string(),
  title: z.string(),
  tags: z.array(z.string()),
  size: z.number().int().nonnegative(),
  mtimeMs: z.number(),
});

/** `vault.list` params: `folder` limits to notes under that folder (recursive); default the whole vault. */
export const VaultListParams = z.strictObject({ folder: z.string().max(1024).optional() });
/** `vault.list` result; `indexing` is true while the initial index still runs (the list may be incomplete). */
export const VaultListResult = z.strictObject({ notes: z.array(NoteSummary), indexing: z.boolean() });

/** `vault.read` params. */
export const VaultReadParams = z.strictObject({ path: NotePath });
/** `vault.read` result: `content` is the body after the frontmatter block, byte-for-byte. */
export const VaultReadResult = z.strictObject({
  path: z.string(),
  title: z.string(),
  content: z.string(),
  frontmatter: Frontmatter,
  tags: z.array(z.string()),
  aliases: z.array(z.string()),
  links: z.array(NoteLink),
  backlinks: z.array(Backlink),
  etag: z.string(),
  size: z.number().int().nonnegative(),
  mtimeMs: z.number(),
});

/**
 * `vault.write` params: create or replace a note. `content` alone replaces the body and keeps the existing
 * frontmatter block's bytes (content that starts with its own `---` block replaces the whole file);
 * `frontmatter` alone keeps the body; `ifMatch` makes the write fail with `conflict` when the note changed.
 */
export const VaultWriteParams = z.strictObject({
  path: NotePath,
  content: z.string().optional(),
  frontmatter: Frontmatter.optional(),
  ifMatch: ETag.optional(),
});
/** `vault.write` result: the new ETag and whether the note was created. */
export const VaultWriteResult = z.strictObject({ path: z.string(), etag: z.string(), created: z.boolean() });

/** `vault.delete` params. */
export const VaultDeleteParams = z.strictObject({ path: NotePath, ifMatch: ETag.optional() });
/** `vault.delete` result. */
export const VaultDeleteResult = z.strictObject({ path: z.string(), deleted: z.literal(true) });

/** `vault.graph` params (none). */
export const VaultGraphParams = z.strictObject({});
/** `vault.graph` result: notes and unresolved link targets (`unresolved: true`, `path: null`) as nodes. */
export const VaultGraphResult = z.strictObject({
  nodes: z.array(z.strictObject({ id: z.string(), path: z.string().nullable(), title: z.string(), unresolved: z.boolean() })),
  edges: z.array(z.strictObject({ source: z.string(), target: z.string() })),
});

/** `vault.search` params: free text (`q`, prefix match on the last word), optional tag filter (nested tags match). */
export const VaultSearchParams = z.strictObject({
  q: z.string().max(1000),
  tag: z.string().min(1).max(200).optional(),
  limit: z.number().int().min(1).max(100).optional().describe("max hits, default 20"),
});
/** `vault.search` result: hits best first; `snippet` is HTML-escaped text with `<mark>` around matches. */
export const VaultSearchResult = z.strictObject({
  hits: z.array(z.strictObject({ path: z.string(), title: z.string(), score: z.number(), snippet: z.string() })),
  indexing: z.boolean(),
});

/** The vault methods of the protocol registry. */
export const vaultMethods = {
  "vault.list": defineMethod({ scope: ["read", "vault"], params: VaultListParams, result: VaultListResult, description: "List notes (path, title, tags, size, mtime), optionally under a folder.",
    rest: { method: "get", path: "/api/vault/notes", tag: "vault", summary: "List notes (path, title, tags, size, mtime), optionally under a folder.", errors: [400] },
  }),
  "vault.read": defineMethod({ scope: ["read", "vault"], params: VaultReadParams, result: VaultReadResult, description: "Read a note: content, frontmatter, links, backlinks and ETag.",
    rest: { method: "get", path: "/api/vault/notes/{path+}", tag: "vault", summary: "Read a note: content, frontmatter, links, backlinks; ETag header.", etag: "etag", errors: [400, 404] },
  }),
  "vault.write": defineMethod({
    scope: "vault",
    params: VaultWriteParams,
    result: VaultWriteResult,
    description: "Create or replace a note atomically; ifMatch guards against concurrent edits.",
    sideEffect: true,
    rest: {
      method: "put", path: "/api/vault/notes/{path+}", tag: "vault", headers: { ifMatch: "if-match" }, etag: "etag", errors: [400, 409],
      summary: "Create or replace a note (content and/or frontmatter); If-Match gives 409 when it changed, as does a path under a note (a file, not a folder).",
    },
  }),
  "vault.delete": defineMethod({ scope: "vault", params: VaultDeleteParams, result: VaultDeleteResult, description: "Delete a note.", sideEffect: true,
    rest: { method: "delete", path: "/api/vault/notes/{path+}", tag: "vault", headers: { ifMatch: "if-match" }, summary: "Delete a note; If-Match gives 409 when it changed.", errors: [400, 404, 409] },
  }),
  "vault.graph": defineMethod({ scope: ["read", "vault"], params: VaultGraphParams, result: VaultGraphResult, description: "The link graph: notes and unresolved links as nodes, links as edges.",
    rest: { method: "get", path: "/api/vault/graph", tag: "vault", summary: "The link graph; unresolved links are nodes flagged `unresolved`." },
  }),
  "vault.search": defineMethod({ scope: ["read", "vault"], params: VaultSearchParams, result: VaultSearchResult, description: "Full-text search with ranked, highlighted hits and an optional tag filter.",
    rest: { method: "get", path: "/api/vault/search", tag: "vault", summary: "Full-text search (bm25, prefix on the last word) with <mark> snippets; tag filter; limit.", errors: [400] },
  }),
};
