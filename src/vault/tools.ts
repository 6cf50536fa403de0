import { z } from "zod";
import { defineTool, type Tool } from "../agent/tools/tool.js";
import { NotFoundError } from "../errors.js";
import type { Vault } from "./vault.js";

/** Most notes `vault_list` prints before it tells the model to narrow by folder. */
export const LIST_MAX_LINES = 200;

/** Adds `.md` to a path whose last segment has no extension (models often write `Projects/Plan`). */
function notePath(p: string): string {
  return /\.[^/.]+$/.test(p) ? p : `${p}.md`;
}

/** Turns an HTML snippet (`<mark>`) back into plain text with `**` around matches. */
function plainSnippet(s: string): string {
  return s.replace(/<\/?mark>/g, "**").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

/**
 * The vault tools for the agent loop (issue 4), with the same path rules as the API (a bad path is a
 * ValidationError whose message goes back to the model). Outputs are compact text:
 * - `vault_search {query, tag?, limit?}`: one line per hit, `path | title | snippet` (`**` marks matches).
 * - `vault_read {path}`: a header (path, frontmatter as JSON, backlinks, unresolved links), `---`, the body.
 * - `vault_write {path, content, append?}`: creates or replaces (or appends to) a note; content starting with a
 *   `---` frontmatter block replaces the frontmatter too, otherwise the existing frontmatter is kept.
 * - `vault_list {folder?}`: one line per note, `path | title | #tags`, at most {@link LIST_MAX_LINES}.
 * A path without extension gets `.md`.
 */
export function vaultTools(vault: Vault): Tool[] {
  return [
    defineTool({
      name: "vault_search",
      description: "Full-text search of the notes vault.",
      input: z.strictObject({
        query: z.string().describe("words; last one matches as prefix"),
        tag: z.string().optional().describe("only notes with this tag"),
        limit: z.number().int().min(1).max(50).optional().describe("default 10"),
      }),
      async run({ query, tag, limit }) {
        const res = vault.search({ q: query, tag, limit: limit ?? 10 });
        const lines = res.hits.map((h) => `${h.path} | ${h.title} | ${plainSnippet(h.snippet)}`);
        if (lines.length === 0) lines.push("no matches");
        if (res.indexing) lines.push("(index still building; results may be incomplete)");
        return lines.join("\n");
      },
    }),
    defineTool({
      name: "vault_read",
      description: "Read a note from the vault.",
      input: z.strictObject({ path: z.string().describe("e.g. Projects/Plan.md") }),
      async run({ path }) {
        const note = vault.read(notePath(path));
        const head = [`path: ${note.path}`];
        if (Object.keys(note.frontmatter).length > 0) head.push(`frontmatter: ${JSON.stringify(note.frontmatter)}`);
        if (note.backlinks.length > 0) head.push(`backlinks: ${note.backlinks.map((b) => b.path).join(", ")}`);
        const unresolved = [...new Set(note.links.filter((l) => l.resolved === null).map((l) => l.target))];
        if (unresolved.length > 0) head.push(`unresolved links: ${unresolved.join(", ")}`);
        return `${head.join("\n")}\n---\n${note.content}`;
      },
    }),
    defineTool({
      name: "vault_write",
      description: "Create or replace a note in the vault (markdown, [[wikilinks]], #tags).",
      input: z.strictObject({
        path: z.string().describe("e.g. Projects/Plan.md"),
        content: z.string().describe("markdown; a leading --- block sets frontmatter"),
        append: z.boolean().optional().describe("append to the note instead"),
      }),
      async run({ path, content, append }) {
        const p = notePath(path);
        if (append) {
          let current: { content: string; frontmatter: Record<string, unknown>; etag: string } | undefined;
          try {
            current = vault.read(p);
          } catch (err) {
            if (!(err instanceof NotFoundError)) throw err;
          }
          if (current) {
            const sep = current.content === "" || current.content.endsWith("\n") ? "" : "\n";
            const body = current.content + sep + content;
            const res = vault.write(p, { content: body, frontmatter: current.frontmatter }, { ifMatch: current.etag });
            await vault.settled(); // the agent's next search sees it
            return `appended to ${res.path}`;
          }
        }
        const res = vault.write(p, { content });
        await vault.settled();
        return `${res.created ? "created" : "updated"} ${res.path}`;
      },
    }),
    defineTool({
      name: "vault_list",
      description: "List notes in the vault.",
      input: z.strictObject({ folder: z.string().optional().describe("only under this folder") }),
      async run({ folder }) {
        const { notes, indexing } = vault.list({ folder });
        const lines = notes.slice(0, LIST_MAX_LINES).map((n) => {
          const tags = n.tags.length > 0 ? ` | ${n.tags.map((t) => `#${t}`).join(" ")}` : "";
          return `${n.path} | ${n.title}${tags}`;
        });
        if (notes.length > LIST_MAX_LINES) lines.push(`... ${notes.length - LIST_MAX_LINES} more; list a folder`);
        if (lines.length === 0) lines.push("no notes");
        if (indexing) lines.push("(index still building; list may be incomplete)");
        return lines.join("\n");
      },
    }),
  ];
}
