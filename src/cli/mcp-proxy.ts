import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  CallToolRequestSchema, CallToolResultSchema, ErrorCode, ListResourcesRequestSchema, ListResourcesResultSchema,
  ListResourceTemplatesRequestSchema, ListResourceTemplatesResultSchema, ListToolsRequestSchema, ListToolsResultSchema,
  McpError, ReadResourceRequestSchema, ReadResourceResultSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { resolveEndpoint } from "../../protocol/endpoint.js";
import { AgentdClient, ProtocolError } from "../../protocol/client.js";
import { VERSION } from "../version.js";

/** Where the proxy finds the daemon: an agent folder (`.port`, token from AGENTD_TOKEN or `.env`) or a URL and token. */
export interface McpProxyOptions {
  agentDir?: string;
  url?: string;
  token?: string;
}

/**
 * `agentd mcp DIR`: an MCP server on stdin/stdout (what Claude Desktop and other stdio clients start) that
 * forwards tools, resources and templates to the running daemon's `/mcp` (Streamable HTTP), with the token from
 * `AGENTD_TOKEN` (e.g. a scoped token in the client's config) or the folder's `.env`, sent only to a daemon that
 * proved in the WebSocket handshake that it holds that token (a stale `.port` cannot phish it). Built with the MCP SDK's
 * {@link Server} and {@link Client}. The daemon may start later or restart on another port: each request finds
 * the port again after a failure, and a daemon that is not running gives a clear error, not a dead proxy.
 * Logs go to stderr only (stdout carries the protocol).
 */
export async function mcpProxyCommand(opts: McpProxyOptions): Promise<void> {
  let client: Client | undefined;
  const connect = async (): Promise<Client> => {
    if (client) return client;
    let endpoint;
    try {
      endpoint = await resolveEndpoint({ ...(opts.agentDir ? { agentDir: opts.agentDir } : {}), ...(opts.url ? { url: opts.url } : {}), ...(opts.token ? { token: opts.token } : {}) });
    } catch (err) {
      throw new McpError(ErrorCode.ConnectionClosed, `agentd is not running${opts.agentDir ? ` in ${opts.agentDir}` : ""}: start it with agentd start (${(err as Error).message})`);
    }
    // the port came from `.port`, which any program may hold after a crash: the bearer token goes over HTTP only
    // to a server that has just proved, in the WebSocket handshake, that it holds the token (CONTRACTS.md A)
    const probe = new AgentdClient({ url: endpoint.httpUrl, token: endpoint.token, reconnect: false, clientName: "agentd-mcp" });
    try {
      await probe.connect();
    } catch (err) {
      const why = err instanceof ProtocolError && err.details?.reason === "server_unverified"
        ? `the server on ${endpoint.httpUrl} could not prove it is this agent's daemon; the token was not sent`
        : `cannot reach agentd at ${endpoint.httpUrl}: ${(err as Error).message}`;
      throw new McpError(ErrorCode.ConnectionClosed, why);
    } finally {
      probe.close();
    }
    const c = new Client({ name: "agentd-mcp-proxy", version: VERSION });
    const transport = new StreamableHTTPClientTransport(new URL(`${endpoint.httpUrl}/mcp`), { requestInit: { headers: { authorization: `Bearer ${endpoint.token}` } } });
    try {
      await c.connect(transport);
    } catch (err) {
      throw new McpError(ErrorCode.ConnectionClosed, `cannot reach agentd at ${endpoint.httpUrl}/mcp: ${(err as Error).message}`);
    }
    client = c;
    return c;
  };
  /** Runs `fn` against the daemon; after a transport failure (daemon restarted, moved port), connects again once. */
  const forward = async <T>(fn: (c: Client) => Promise<T>): Promise<T> => {
    try {
      return await fn(await connect());
    } catch (err) {
      if (err instanceof McpError && err.code !== ErrorCode.ConnectionClosed) throw err;
      const stale = client;
      client = undefined;
      await stale?.close().catch(() => undefined);
      return fn(await connect());
    }
  };

  const server = new Server({ name: "agentd", version: VERSION }, { capabilities: { tools: {}, resources: {} } });
  server.setRequestHandler(ListToolsRequestSchema, (req, extra) => forward((c) => c.request(req, ListToolsResultSchema, { signal: extra.signal })));
  server.setRequestHandler(CallToolRequestSchema, (req, extra) => forward((c) => c.request(req, CallToolResultSchema, { signal: extra.signal, timeout: 600_000 })));
  server.setRequestHandler(ListResourcesRequestSchema, (req, extra) => forward((c) => c.request(req, ListResourcesResultSchema, { signal: extra.signal })));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, (req, extra) => forward((c) => c.request(req, ListResourceTemplatesResultSchema, { signal: extra.signal })));
  server.setRequestHandler(ReadResourceRequestSchema, (req, extra) => forward((c) => c.request(req, ReadResourceResultSchema, { signal: extra.signal })));

  const transport = new StdioServerTransport();
  const closed = new Promise<void>((r) => (transport.onclose = () => r()));
  await server.connect(transport);
  process.stdin.on("end", () => void server.close());
  await closed;
  await client?.close().catch(() => undefined);
}
