import type { Tool } from "./tool.js";

/**
 * Applies the agent's tool policy (config `tools`): with an `allow` list only those names pass; names in `deny`
 * never do. Names are the ones the model sees (`current_time`, `<server>__<tool>`); a trailing `*` matches a
 * prefix (e.g. `fs__*`). Per-server allow/deny lists of MCP servers apply before this.
 */
export function applyToolPolicy(tools: Tool[], policy: { allow?: string[] | undefined; deny: string[] }): Tool[] {
  const matches = (name: string, patterns: string[]) => patterns.some((p) => (p.endsWith("*") ? name.startsWith(p.slice(0, -1)) : p === name));
  return tools.filter((t) => (!policy.allow || matches(t.name, policy.allow)) && !matches(t.name, policy.deny));
}
