import type { FeatureFactory } from "../feature.js";
import type { Tool } from "../agent/tools/tool.js";
import { applyToolPolicy } from "../agent/tools/policy.js";
import type { ToolsConfig } from "../config/sections/tools.js";
import type { BuiltinToolStatus } from "../../protocol/tools.js";
import { ensureWorkspace } from "./workspace.js";
import { webFetchTool } from "./web-fetch.js";
import { webSearchTool } from "./web-search.js";
import { execMode, type ExecMode } from "./sandbox.js";
import { execTool } from "./exec.js";
import { fileReadTool } from "./file-read.js";
import { fileWriteTool } from "./file-write.js";
import { fileEditTool } from "./file-edit.js";
import { fileListTool } from "./file-list.js";

/** One built-in tool of issue 13, built from the config in force, or why it is off. */
type Entry = { name: string; tool?: Tool; mode?: "bwrap" | "none"; reason?: string };

/**
 * The built-in tools of issue 13 for the config `cfg` (see src/config/sections/tools.ts): each either built or with the
 * reason it is off. `pathEnv` is the PATH `bwrap` is looked up on (the daemon's own).
 */
export function builtinToolEntries(opts: { root: string; cfg: () => ToolsConfig; pathEnv?: string | undefined }): Entry[] {
  const cfg = opts.cfg();
  const out: Entry[] = [];
  const off = (name: string, reason: string) => out.push({ name, reason });
  if (cfg.web_fetch.enabled) out.push({ name: "web_fetch", tool: webFetchTool({ config: () => opts.cfg().web_fetch }) });
  else off("web_fetch", "tools.web_fetch.enabled is false");
  if (cfg.web_search.enabled && cfg.web_search.provider) out.push({ name: "web_search", tool: webSearchTool({ config: () => opts.cfg().web_search }) });
  else off("web_search", "no search provider is configured (tools.web_search)");
  const mode: ExecMode = execMode(cfg.exec, opts.pathEnv);
  if (mode.mode === "off") off("exec", mode.reason);
  else out.push({ name: "exec", mode: mode.mode, tool: execTool({ root: opts.root, mode, config: () => opts.cfg().exec }) });
  const files = { file_read: fileReadTool, file_write: fileWriteTool, file_edit: fileEditTool } as const;
  for (const [name, make] of Object.entries(files) as Array<[keyof typeof files, (o: { root: string; maxBytes: () => number }) => Tool]>) {
    if (cfg[name].enabled) out.push({ name, tool: make({ root: opts.root, maxBytes: () => opts.cfg()[name].maxBytes }) });
    else off(name, `tools.${name}.enabled is false`);
  }
  if (cfg.file_list.enabled) out.push({ name: "file_list", tool: fileListTool({ root: opts.root }) });
  else off("file_list", "tools.file_list.enabled is false");
  return out;
}

/** What `GET /api/tools` answers for `entries` under the policy `cfg` (`tools.allow`/`deny`). */
export function toolsStatus(entries: Entry[], cfg: ToolsConfig): BuiltinToolStatus[] {
  const passed = new Set(applyToolPolicy(entries.flatMap((e) => (e.tool ? [e.tool] : [])), cfg).map((t) => t.name));
  return entries.map((e) => ({
    name: e.name,
    offered: passed.has(e.name),
    ...(e.mode ? { mode: e.mode } : {}),
    ...(e.reason ? { reason: e.reason } : e.tool && !passed.has(e.name) ? { reason: "not allowed by tools.allow / tools.deny" } : {}),
  }));
}

/**
 * The built-in tools feature (issue 13): `web_fetch`, `web_search`, `exec`, `file_read`, `file_write`,
 * `file_edit`, `file_list`, built from `tools.<name>` on every run (config edits apply to the next run), the
 * workspace `DIR/workspace/` (created when missing), `GET /api/tools` and its WS twin `tools.list`. Approvals are not decided here.
 */
export const toolsFeature: FeatureFactory = (ctx) => {
  const root = ensureWorkspace(ctx.dir);
  const cfg = () => ctx.config.get().tools;
  const logger = ctx.logger.child({ component: "tools" });
  // built once per config (the store hands out a new object on every change), not on every run
  let cached: { cfg: ToolsConfig; entries: Entry[] } | undefined;
  const entries = () => {
    const now = cfg();
    if (cached?.cfg !== now) cached = { cfg: now, entries: builtinToolEntries({ root, cfg, pathEnv: process.env.PATH }) };
    return cached.entries;
  };
  const exec = entries().find((e) => e.name === "exec");
  if (exec?.mode === "none") logger.warn("tools.exec runs commands on the host WITHOUT a sandbox (sandbox: none)");
  else if (cfg().exec.enabled && !exec?.mode) logger.warn({ reason: exec?.reason }, "tools.exec is enabled but not offered");
  return {
    name: "tools",
    tools: () => entries().flatMap((e) => (e.tool ? [e.tool] : [])),
    handlers: (registry) => registry.on("tools.list", () => ({ tools: toolsStatus(entries(), cfg()) })),
  };
};
