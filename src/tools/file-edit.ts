import { readFile, stat } from "node:fs/promises";
import { z } from "zod";
import { defineTool, type Tool } from "../agent/tools/tool.js";
import { AgentdError } from "../errors.js";
import { resolveInWorkspace } from "./workspace.js";
import { writeWorkspaceFile } from "./file-write.js";

/**
 * `file_edit {path, oldText, newText, replaceAll?}`: exact-string replacement in a workspace text file.
 * `oldText` must occur exactly once unless `replaceAll` is true; no occurrence (or several without
 * `replaceAll`) is a `bad_request` error and the file is unchanged. The result is written atomically.
 */
export function fileEditTool(opts: { root: string; maxBytes: () => number }): Tool {
  return defineTool({
    name: "file_edit",
    description: "Replace an exact piece of text in a workspace file (oldText must match once unless replaceAll).",
    input: z.strictObject({
      path: z.string().min(1).max(4096),
      oldText: z.string().min(1),
      newText: z.string(),
      replaceAll: z.boolean().optional(),
    }),
    async run({ path, oldText, newText, replaceAll }) {
      const abs = await resolveInWorkspace(opts.root, path);
      const max = opts.maxBytes();
      const st = await stat(abs).catch(() => undefined);
      if (!st?.isFile()) throw new AgentdError("not_found", `no file "${path}" in the workspace`);
      if (st.size > max) throw new AgentdError("payload_too_large", `"${path}" is ${st.size} bytes, over the limit of ${max}`);
      const text = await readFile(abs, "utf8");
      const count = text.split(oldText).length - 1;
      if (count === 0) throw new AgentdError("bad_request", `oldText was not found in "${path}"; the file is unchanged`);
      if (count > 1 && !replaceAll) throw new AgentdError("bad_request", `oldText occurs ${count} times in "${path}"; give more context or set replaceAll; the file is unchanged`);
      const out = replaceAll ? text.split(oldText).join(newText) : text.replace(oldText, () => newText);
      await writeWorkspaceFile(abs, out, max);
      return `Replaced ${replaceAll ? count : 1} occurrence${count > 1 && replaceAll ? "s" : ""} in ${path}`;
    },
  });
}
