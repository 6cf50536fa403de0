// Test fixture (not shipped): a tiny stdio MCP server whose tool list changes at run time.
// Tools: `add-tool` registers `extra` (the SDK then sends notifications/tools/list_changed);
// `fail` returns an isError result.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";

const server = new McpServer({ name: "dynamic", version: "1.0.0" });
server.registerTool("add-tool", { description: "Registers the tool `extra`." }, async () => {
  server.registerTool("extra", { description: "A tool added at run time." }, async () => ({
    content: [{ type: "text", text: "extra ran" }],
  }));
  return { content: [{ type: "text", text: "added" }] };
});
server.registerTool("fail", { description: "Always reports an error." }, async () => ({
  isError: true,
  content: [{ type: "text", text: "it broke on purpose" }],
}));
await server.connect(new StdioServerTransport());
