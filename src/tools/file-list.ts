import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { defineTool, type Tool } from "../agent/tools/tool.js";
import { AgentdError } from "../errors.js";
import { resolveInWorkspace, workspaceRelative } from "./workspace.js";

/** Most entries `file_list` returns in one call (the rest is counted). */
export const FILE_LIST_MAX_ENTRIES = 1000;

/**
 * `file_list {path?, recursive?}`: the entries of a workspace folder (default the root), one a line, folders
 * with a trailing `/`, symlinks marked `@`, sorted; recursive listings skip nothing but never follow symlinks.
 * At most {@link FILE_LIST_MAX_ENTRIES} lines.
 */
export function fileListTool(opts: { root: string }): Tool {
  return defineTool({
    name: "file_list",
    description: "List files in a workspace folder (path relative to it; default the workspace root).",
    input: z.strictObject({ path: z.string().max(4096).optional(), recursive: z.boolean().optional() }),
    async run({ path, recursive }) {
      const abs = await resolveInWorkspace(opts.root, path ?? "");
      const lines: string[] = [];
      let more = 0;
      const walk = async (folder: string): Promise<void> => {
        const entries = (await readdir(folder, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
        for (const e of entries) {
          const full = join(folder, e.name);
          if (lines.length >= FILE_LIST_MAX_ENTRIES) {
            more++;
            continue;
          }
          const rel = workspaceRelative(opts.root, full);
          lines.push(e.isDirectory() ? `${rel}/` : e.isSymbolicLink() ? `${rel}@` : rel);
          if (recursive && e.isDirectory()) await walk(full);
        }
      };
      await walk(abs).catch((err: NodeJS.ErrnoException) => {
        throw new AgentdError(err.code === "ENOENT" ? "not_found" : "bad_request", `cannot list "${path ?? "."}": ${err.code ?? err.message}`);
      });
      if (more) lines.push(`[… ${more} more entries]`);
      return lines.length ? lines.join("\n") : "(empty folder)";
    },
  });
}
