import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";
import { defineTool, type Tool } from "../agent/tools/tool.js";
import { AgentdError } from "../errors.js";
import { resolveInWorkspace } from "./workspace.js";

/**
 * Writes `content` to `abs` atomically (a temporary file beside it, then a rename), creating parent folders.
 * Throws a `payload_too_large` AgentdError over `maxBytes` (UTF-8 bytes) and changes nothing then.
 */
export async function writeWorkspaceFile(abs: string, content: string, maxBytes: number): Promise<number> {
  const bytes = Buffer.byteLength(content, "utf8");
  if (bytes > maxBytes) throw new AgentdError("payload_too_large", `the content is ${bytes} bytes, over the limit of ${maxBytes}`);
  await mkdir(dirname(abs), { recursive: true });
  const tmp = `${abs}.agentd-${process.pid}-${Date.now()}.tmp`;
  await writeFile(tmp, content, { encoding: "utf8", flag: "wx" });
  await rename(tmp, abs);
  return bytes;
}

/**
 * `file_write {path, content}`: creates or replaces a text file of the workspace (parent folders created).
 * Refuses paths that escape (see {@link resolveInWorkspace}) and content over `maxBytes()` (config
 * `tools.file_write.maxBytes`).
 */
export function fileWriteTool(opts: { root: string; maxBytes: () => number }): Tool {
  return defineTool({
    name: "file_write",
    description: "Create or overwrite a text file in your workspace (path relative to it).",
    input: z.strictObject({ path: z.string().min(1).max(4096), content: z.string() }),
    async run({ path, content }) {
      const abs = await resolveInWorkspace(opts.root, path);
      const bytes = await writeWorkspaceFile(abs, content, opts.maxBytes());
      return `Wrote ${bytes} bytes to ${path}`;
    },
  });
}
