import { open } from "node:fs/promises";
import { z } from "zod";
import { defineTool, type Tool } from "../agent/tools/tool.js";
import { AgentdError } from "../errors.js";
import { resolveInWorkspace } from "./workspace.js";

/**
 * `file_read {path}`: a UTF-8 text file of the workspace. Files over `maxBytes()` (config
 * `tools.file_read.maxBytes`) are read up to it and marked cut; paths that escape are refused (see
 * {@link resolveInWorkspace}).
 */
export function fileReadTool(opts: { root: string; maxBytes: () => number }): Tool {
  return defineTool({
    name: "file_read",
    description: "Read a text file in your workspace (path relative to it).",
    input: z.strictObject({ path: z.string().min(1).max(4096) }),
    async run({ path }) {
      const abs = await resolveInWorkspace(opts.root, path);
      const max = opts.maxBytes();
      const fh = await open(abs, "r").catch((err: NodeJS.ErrnoException) => {
        throw new AgentdError(err.code === "ENOENT" ? "not_found" : "bad_request", `cannot read "${path}": ${err.code ?? err.message}`);
      });
      try {
        const st = await fh.stat();
        if (!st.isFile()) throw new AgentdError("bad_request", `"${path}" is not a file`);
        const buf = Buffer.alloc(Math.min(st.size, max));
        const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
        const text = buf.subarray(0, bytesRead).toString("utf8");
        return st.size > max ? `${text}\n[… file cut at ${max} of ${st.size} bytes]` : text;
      } finally {
        await fh.close();
      }
    },
  });
}
