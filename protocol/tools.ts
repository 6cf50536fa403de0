import { z } from "zod";
import { defineMethod } from "./method-spec.js";

/**
 * The state of one built-in tool of issue 13 (`web_fetch`, `web_search`, `exec`, `file_*`), as
 * `GET /api/tools` and `agentd status` show it:
 * - `name`: the tool name the model sees
 * - `offered`: true when the model is offered the tool now (enabled, available, and passed by `tools.allow`/`deny`)
 * - `mode`: for `exec`, `bwrap` (bubblewrap sandbox) or `none` (host, unsandboxed); absent for other tools
 * - `reason`: why the tool is not offered (disabled, no provider, no `bwrap` on PATH, denied by policy)
 */
export const BuiltinToolStatus = z.strictObject({
  name: z.string(),
  offered: z.boolean(),
  mode: z.enum(["bwrap", "none"]).optional(),
  reason: z.string().optional(),
});
/** See {@link BuiltinToolStatus}. */
export type BuiltinToolStatus = z.infer<typeof BuiltinToolStatus>;

/** The body of `GET /api/tools`: every built-in tool of issue 13 with its state. */
export const ToolsStatus = z.strictObject({ tools: z.array(BuiltinToolStatus) });
/** See {@link ToolsStatus}. */
export type ToolsStatus = z.infer<typeof ToolsStatus>;

/** Protocol methods of the built-in tools (issue 13). `tools.list` is the WS twin of `GET /api/tools`. */
export const toolsMethods = {
  "tools.list": defineMethod({ scope: "read",
    params: z.strictObject({}),
    result: ToolsStatus,
    description: "List the built-in tools (web_fetch, web_search, exec, file_*): offered or why not, and exec's sandbox mode.",
    rest: { method: "get", path: "/api/tools", tag: "agent", summary: "Built-in tools (web_fetch, web_search, exec, file_*): offered or why not, exec's sandbox mode." },
  }),
};
