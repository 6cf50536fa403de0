import type { Tool } from "./tool.js";
import { currentTimeTool } from "./current-time.js";
import { memoryTools } from "./memory.js";

/**
 * The built-in tools of the agent loop (issue 3): `current_time`, `memory_read`, `memory_append`.
 * (The vault tools come with the vault feature.) `timeZone` is read per call, so config edits apply at once.
 */
export function builtinTools(opts: { dir: string; timeZone: () => string }): Tool[] {
  return [currentTimeTool(opts), ...memoryTools(opts)];
}
