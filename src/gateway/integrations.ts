import type { Context } from "hono";
import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import type { Store } from "../store/store.js";
import type { DaemonRegistry } from "./method-registry.js";
import type { Router } from "./router.js";
import { mountOpenAiRoutes } from "./openai/routes.js";
import { openAiErrorResponse } from "./openai/openai-errors.js";
import { mountMcpServer } from "./mcp/mcp-route.js";

/** What the standard doors need from the daemon. */
export interface IntegrationDeps {
  registry: DaemonRegistry;
  store: Store;
  config: () => Config;
  version: string;
  startedAt: number;
  logger: Logger;
}

/**
 * Mounts the standard doors on the daemon's port (issue 15), thin adapters over the same operations as REST
 * and WebSocket: `POST /v1/chat/completions` and `GET /v1/models` (OpenAI-compatible) and `POST /mcp` (agentd
 * as an MCP server). Both sit behind the same bearer tokens and scope check as every route.
 */
export function mountIntegrations(router: Router, deps: IntegrationDeps): void {
  mountOpenAiRoutes(router, deps);
  mountMcpServer(router, { registry: deps.registry, store: deps.store, version: deps.version, agentName: deps.config().name, logger: deps.logger });
}

/** Error bodies of the standard doors: `/v1/*` answers in OpenAI's error shape. */
export const integrationErrorShapes: Array<{ prefix: string; render: (c: Context, err: unknown) => Response }> = [
  { prefix: "/v1/", render: openAiErrorResponse },
];
