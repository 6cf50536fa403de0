/** Example inputs of one route: path and query parameters (as strings) and the JSON body. */
export interface RouteExample {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
}

/** The key of a route in {@link ROUTE_EXAMPLES}: `METHOD /path` as in the OpenAPI document (`PUT /api/models/{name}`). */
export function routeKey(spec: { method: string; path: string }): string {
  return `${spec.method.toUpperCase()} ${spec.path.replace(/\{(\w+)\+\}/g, "{$1}")}`;
}

const SESSION_ID = "s_0m5x2k9a10000AbC123";
const SCHEDULE_ID = "j_0m5x2k9a10000XyZ789";
const DELIVERY_ID = "d_0m5x2k9b20000XyZ789";

/**
 * Example inputs per route, put into the OpenAPI document (`example` of parameters and request bodies) and
 * used for the curl lines of docs/rest.md (`npm run docs:rest`). Every route with a body needs one:
 * tests/rest-api.test.ts fails for a route whose body has no example. Add yours here when you add a route.
 */
export const ROUTE_EXAMPLES: Record<string, RouteExample> = {
  "GET /api/sessions": { query: { limit: "20" } },
  "POST /api/sessions": { body: { title: "Trip planning" } },
  "PATCH /api/sessions/{id}": { params: { id: SESSION_ID }, body: { title: "Tokyo trip" } },
  "DELETE /api/sessions/{id}": { params: { id: SESSION_ID } },
  "POST /api/login": { body: { code: "Jq3v0b1xT9wYc2LpZk8sN4dFh6Ra7Eu5Gi1Mo0WnBAx" } },
  "GET /api/sessions/{id}/messages": { params: { id: SESSION_ID }, query: { limit: "50" } },
  "POST /api/chat": { body: { text: "What is on my list for today?", sessionId: SESSION_ID } },
  "POST /api/chat/abort": { body: { sessionId: SESSION_ID } },
  "GET /api/deliveries": { query: { state: "failed", platform: "telegram", since: "2026-11-27T00:00:00Z", limit: "20" } },
  "GET /api/deliveries/{id}": { params: { id: DELIVERY_ID } },
  "POST /api/deliveries/{id}/retry": { params: { id: DELIVERY_ID } },
  "GET /api/deliveries/{id}/attachments/{index}": { params: { id: DELIVERY_ID, index: "0" } },
  "POST /api/messages": { body: { address: { platform: "telegram", chatId: "123456789" }, text: "Backup **done**.", idempotencyKey: "backup-done-2026-11-27" } },
  "POST /api/memory": { body: { text: "Prefers morning meetings." } },
  "POST /api/tokens": { body: { name: "open-webui", scopes: ["chat"], expires: "90d" } },
  "DELETE /api/tokens/{name}": { params: { name: "open-webui" } },
  "POST /v1/chat/completions": { body: { model: "agentd", user: "scripts", messages: [{ role: "user", content: "What is on my list for today?" }] } },
  "POST /mcp": { body: { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "vault_search", arguments: { query: "trip" } } } },
  "GET /api/usage/daily": { query: { days: "30" } },
  "POST /api/schedules": { body: { name: "Morning summary", cron: "0 8 * * 1-5", prompt: "Summarise my calendar for today.", deliverTo: { platform: "telegram", chatId: "123456789" } } },
  "GET /api/schedules/{id}": { params: { id: SCHEDULE_ID } },
  "PATCH /api/schedules/{id}": { params: { id: SCHEDULE_ID }, body: { cron: "30 7 * * 1-5", enabled: true } },
  "DELETE /api/schedules/{id}": { params: { id: SCHEDULE_ID } },
  "POST /api/schedules/{id}/run": { params: { id: SCHEDULE_ID } },
  "GET /api/schedules/{id}/firings": { params: { id: SCHEDULE_ID }, query: { limit: "20" } },
  "POST /api/hooks/{name}": { params: { name: "github" }, body: { action: "completed", repository: { full_name: "me/app" }, workflow_run: { conclusion: "failure" } } },
  "GET /api/approvals": { query: { state: "pending", limit: "20" } },
  "GET /api/approvals/{id}": { params: { id: "K7QX2M" } },
  "POST /api/approvals/{id}": { params: { id: "K7QX2M" }, body: { decision: "approve" } },
  "DELETE /api/approvals/grants/{id}": { params: { id: "gr_0m5x2k9b20000AbC123" } },
  "GET /api/audit": { query: { limit: "50" } },
  "POST /api/pairing/approve": { body: { code: "H4KW9PXR" } },
  "DELETE /api/pairing/{platform}/{userId}": { params: { platform: "telegram", userId: "123456789" } },
  "GET /api/logs": { query: { level: "warn", since: "2025-01-31T12:00:00Z", limit: "50" } },
  "POST /api/update": { body: { install: false } },
  "GET /api/vault/notes/{path}": { params: { path: "Welcome.md" } },
  "PUT /api/vault/notes/{path}": { params: { path: "Projects/Trip.md" }, body: { content: "# Trip\n\nPack the [[Checklist]].\n", frontmatter: { tags: ["travel"] } } },
  "DELETE /api/vault/notes/{path}": { params: { path: "Projects/Trip.md" } },
  "GET /api/vault/search": { query: { q: "trip", limit: "10" } },
  "PUT /api/config": {
    body: {
      name: "assistant",
      model: "main",
      providers: { openai: { baseUrl: "https://api.openai.com/v1", apiKey: "${OPENAI_API_KEY}" } },
      models: { main: { provider: "openai", model: "gpt-4o-mini" } },
    },
  },
  "PATCH /api/config/{section}": { params: { section: "models" }, body: { main: { model: "gpt-4o" } } },
  "POST /api/models": { body: { name: "fast", provider: "openai", model: "gpt-4o-mini", contextTokens: 128000 } },
  "PUT /api/models/active": { body: { model: "main", fallbackModels: [] } },
  "PUT /api/models/{name}": { params: { name: "fast" }, body: { provider: "openai", model: "gpt-4.1-mini", maxOutputTokens: 4096 } },
  "DELETE /api/models/{name}": { params: { name: "fast" } },
  "POST /api/models/{name}/test": { params: { name: "main" }, body: { prompt: "Reply with the single word: ok" } },
  "POST /api/providers/test": { body: { baseUrl: "https://api.groq.com/openai/v1", apiKey: "${GROQ_API_KEY}" } },
};
