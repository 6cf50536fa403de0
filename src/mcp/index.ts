export { McpManager, type McpManagerOptions } from "./manager.js";
export {
  McpConfig,
  McpServerConfig,
  McpServerName,
  MCP_SERVER_NAME_PATTERN,
  DEFAULT_CALL_TIMEOUT_MS,
  isStdioConfig,
  type McpServerConfigInput,
} from "../config/sections/mcp.js";
export type { McpTiming } from "./server-connection.js";
export type { BackoffOptions } from "../../protocol/backoff.js";
