import type { FeatureFactory } from "../feature.js";
import { McpManager } from "./manager.js";

/**
 * The MCP feature: connects the configured servers in the background after the port opens, offers their
 * tools to the agent, serves `mcp.list` and `GET /api/mcp`, follows config changes live, and stops the
 * stdio servers with the daemon.
 */
export const mcpFeature: FeatureFactory = (ctx) => {
  const manager = new McpManager({ servers: ctx.config.get().mcp.servers, logger: ctx.logger.child({ component: "mcp" }), cwd: ctx.dir });
  ctx.config.onChange((next, _prev, changed) => {
    if (changed.includes("mcp")) {
      manager.update(next.mcp.servers).catch((err: unknown) => ctx.logger.error({ err }, "could not apply the MCP config"));
    }
  });
  return {
    name: "mcp",
    handlers: (registry) => registry.on("mcp.list", () => ({ servers: manager.status() })),
    tools: () => manager.tools(),
    start: () => manager.start(),
    stop: () => manager.stop(),
  };
};
