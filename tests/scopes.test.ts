/**
 * Issue 15's table: every REST route, protocol method and MCP tool × every scope → allowed or 403 exactly as
 * declared, against a real daemon (built CLI) with a named token per scope; revoked and expired tokens → 401; a
 * bridge supervised by `agentd start` holds only a bridge token. The tables below are the policy: a route,
 * method or tool that is added without an entry here fails the "declares exactly" checks.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { createServer } from "node:net";
import Database from "better-sqlite3";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { TelegramServer } from "telegram-test-api/lib/telegramServer.js";
import { startFakeLlm, type FakeLlm } from "./support/fake-llm.js";
import { initAgent, runCli, startDaemon, waitFor, type RunningDaemon } from "./support/daemon.js";
import { RawWs } from "./support/raw-ws.js";
import { methods } from "../protocol/methods.js";
import { MCP_TOOLS } from "../src/gateway/mcp/tools.js";

type Scope = "chat" | "read" | "vault" | "bridge" | "admin";
const SCOPES: Scope[] = ["chat", "read", "vault", "bridge", "admin"];
const ANY: Scope[] = ["chat", "read", "vault", "bridge"];

/** REST routes → the scopes that may call them (admin always may). `public`: no token at all. */
const ROUTES: Record<string, Scope[] | "public"> = {
  "GET /api/health": "public",
  "GET /api/agent-info": ANY,
  "GET /api/openapi.json": ANY,
  "GET /api/sessions": ["chat", "read"],
  "POST /api/sessions": ["chat"],
  "GET /api/sessions/{id}/messages": ["chat", "read"],
  "POST /api/chat": ["chat", "bridge"],
  "POST /api/chat/abort": ["chat", "bridge"],
  "POST /api/upload": ["chat", "bridge"],
  "GET /api/usage": ["read"],
  "GET /api/usage/daily": ["read"],
  "GET /api/usage/pricing": ["read"],
  "POST /api/memory": ["vault"],
  "GET /api/mcp": ["read"],
  "GET /metrics": ["read"],
  "GET /api/logs": ["admin"],
  "DELETE /api/logs": ["admin"],
  "POST /api/restart": ["admin"],
  "POST /api/update": ["admin"],
  "GET /api/vault/notes": ["read", "vault"],
  "GET /api/vault/notes/{path}": ["read", "vault"],
  "PUT /api/vault/notes/{path}": ["vault"],
  "DELETE /api/vault/notes/{path}": ["vault"],
  "GET /api/vault/graph": ["read", "vault"],
  "GET /api/vault/search": ["read", "vault"],
  "GET /api/config": ["admin"],
  "PUT /api/config": ["admin"],
  "PATCH /api/config/{section}": ["admin"],
  "GET /api/models": ["read"],
  "POST /api/models": ["admin"],
  "GET /api/models/active": ["read"],
  "PUT /api/models/active": ["admin"],
  "GET /api/models/catalog": ["read"],
  "GET /api/models/providers": ["read"],
  "PUT /api/models/{name}": ["admin"],
  "DELETE /api/models/{name}": ["admin"],
  "POST /api/models/{name}/test": ["admin"],
  "GET /api/providers": ["read"],
  "POST /api/providers/test": ["admin"],
  "GET /api/tokens": ["admin"],
  "POST /api/tokens": ["admin"],
  "DELETE /api/tokens/{name}": ["admin"],
  "POST /v1/chat/completions": ["chat"],
  "GET /v1/models": ["chat", "read"],
  "POST /mcp": ["chat", "read", "vault"],
  "GET /api/deliveries": ["read", "bridge"],
  "GET /api/deliveries/{id}": ["read", "bridge"],
  "POST /api/deliveries/{id}/retry": ["admin"],
  "POST /api/messages": ["bridge"],
  "GET /api/deliveries/{id}/attachments/{index}": ["bridge"],
  "GET /api/schedules": ["read"],
  "POST /api/schedules": ["admin"],
  "GET /api/schedules/{id}": ["read"],
  "PATCH /api/schedules/{id}": ["admin"],
  "DELETE /api/schedules/{id}": ["admin"],
  "POST /api/schedules/{id}/run": ["admin"],
  "GET /api/schedules/{id}/firings": ["read"],
  "POST /api/hooks/{name}": ["chat"],
  "GET /api/tools": ["read"],
  "PATCH /api/sessions/{id}": ["chat"],
  "DELETE /api/sessions/{id}": ["chat"],
  "GET /api/bridges": ["read"],
  "POST /api/login": "public",
  "POST /api/logout": "public",
  "POST /api/login-codes": ANY,
  "GET /api/approvals": ["read"],
  "GET /api/approvals/{id}": ["read"],
  "POST /api/approvals/{id}": ["admin"],
  "GET /api/approvals/grants": ["read"],
  "DELETE /api/approvals/grants/{id}": ["admin"],
  "GET /api/audit": ["read"],
  "GET /api/pairing": ["read"],
  "POST /api/pairing/approve": ["admin"],
  "DELETE /api/pairing/{platform}/{userId}": ["admin"],
};

/** Protocol methods (WebSocket) → scopes. */
const METHODS: Record<string, Scope[]> = {
  "chat.send": ["chat", "bridge"], "chat.abort": ["chat", "bridge"], "chat.history": ["chat", "read"],
  "sessions.list": ["chat", "read"], "sessions.create": ["chat"], "agent.info": ANY, "memory.append": ["vault"],
  "vault.list": ["read", "vault"], "vault.read": ["read", "vault"], "vault.write": ["vault"], "vault.delete": ["vault"],
  "vault.graph": ["read", "vault"], "vault.search": ["read", "vault"], "mcp.list": ["read"],
  "usage.summary": ["read"], "usage.daily": ["read"], "usage.pricing": ["read"],
  "deliveries.subscribe": ["bridge"], "deliveries.ack": ["bridge"], "deliveries.fail": ["bridge"],
  "deliveries.list": ["read", "bridge"], "deliveries.get": ["read", "bridge"], "deliveries.retry": ["admin"], "messages.send": ["bridge"],
  "schedules.list": ["read"], "schedules.get": ["read"], "schedules.firings": ["read"],
  "schedules.create": ["admin"], "schedules.update": ["admin"], "schedules.delete": ["admin"], "schedules.run": ["admin"],
  "tools.list": ["read"],
  "sessions.rename": ["chat"], "sessions.delete": ["chat"], "bridges.list": ["read"],
  // a bridge answers approvals and pairing codes only as the chat user who pressed (`by`, checked by the handler)
  "approvals.list": ["read"], "approvals.get": ["read"], "approvals.decide": ["bridge"], "approvals.subscribe": ["read"],
  "approvals.grants": ["read"], "approvals.revokeGrant": ["admin"], "audit.list": ["read"],
  "pairing.list": ["read"], "pairing.approve": ["bridge"], "pairing.revoke": ["admin"],
};

/** MCP tools → scopes; `resources/*` (vault notes) need read or vault. */
const TOOLS: Record<string, Scope[]> = {
  chat: ["chat"], vault_search: ["read", "vault"], vault_read: ["read", "vault"], vault_write: ["vault"],
  memory_append: ["vault"], sessions_list: ["chat", "read"], schedule_create: ["admin"],
};

const allowed = (declared: Scope[], scope: Scope) => scope === "admin" || declared.includes(scope);
const asList = (s: string | readonly string[]) => (typeof s === "string" ? [s] : [...s]).sort();

let llm: FakeLlm;
let d: RunningDaemon;
let doc: any;
const tokens = {} as Record<Scope, string>;

beforeAll(async () => {
  llm = await startFakeLlm();
  const { dir } = await initAgent({ llmUrl: llm.url, edit: (c) => (c.agent = { ...c.agent, titleSessions: false }) });
  for (const scope of SCOPES) {
    const r = await runCli(["token", "create", `t-${scope}`, "--scope", scope, dir]);
    expect(r.code, r.stderr).toBe(0);
    tokens[scope] = r.stdout.trim();
  }
  d = await startDaemon(dir);
  doc = await (await d.api("/api/openapi.json")).json();
});
afterAll(async () => {
  await d?.kill();
  await llm?.close();
});

describe("every route, method and tool declares exactly the scopes of the table", () => {
  it("REST routes (the OpenAPI document lists each route's scopes)", () => {
    const declared: Record<string, Scope[] | "public"> = {};
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(ops)) {
        declared[`${method.toUpperCase()} ${path}`] = Array.isArray(op.security) && op.security.length === 0 ? "public" : [...op["x-agentd-scopes"]].sort();
      }
    }
    expect(declared).toEqual(Object.fromEntries(Object.entries(ROUTES).map(([k, v]) => [k, v === "public" ? v : [...v].sort()])));
  });

  it("protocol methods and MCP tools", () => {
    expect(Object.fromEntries(Object.entries(methods).map(([m, s]) => [m, asList(s.scope)]))).toEqual(Object.fromEntries(Object.entries(METHODS).map(([k, v]) => [k, [...v].sort()])));
    expect(Object.fromEntries(MCP_TOOLS.map((t) => [t.name, asList(t.scope)]))).toEqual(Object.fromEntries(Object.entries(TOOLS).map(([k, v]) => [k, [...v].sort()])));
  });
});

/** A request that reaches the route's handler only when allowed, and then changes nothing (bad body, unknown id). */
function probe(key: string): { method: string; path: string; body?: string } {
  const [method, path] = key.split(" ") as [string, string];
  const concrete = path.replace("{path}", "zz-none.md").replace(/\{\w+\}/g, "zz-none");
  const op = doc.paths[path][method.toLowerCase()];
  return { method, path: concrete, ...(op.requestBody ? { body: JSON.stringify({ zz_bogus: 1 }) } : {}) };
}

describe.each(SCOPES)("a token with scope %s", (scope) => {
  it("gets 403 from exactly the routes it may not call, and through to the others", async () => {
    const outcome: Record<string, string> = {};
    const expected: Record<string, string> = {};
    for (const [key, declared] of Object.entries(ROUTES)) {
      if (declared === "public" || key === "POST /api/restart" && scope === "admin") continue; // restart: at the end
      const p = probe(key);
      const res = await fetch(`${d.url}${p.path}`, { method: p.method, headers: { authorization: `Bearer ${tokens[scope]}`, "content-type": "application/json" }, ...(p.body ? { body: p.body } : {}) });
      const text = await res.text();
      outcome[key] = res.status === 403 ? "forbidden" : res.status === 401 ? "401" : "allowed";
      expected[key] = allowed(declared, scope) ? "allowed" : "forbidden";
      if (res.status === 403) {
        const body = JSON.parse(text);
        if (key.startsWith("POST /v1/") || key.startsWith("GET /v1/")) expect(body.error).toMatchObject({ type: "permission_error", code: "forbidden" });
        else expect(body.error).toMatchObject({ code: "forbidden", details: { held: [scope] } });
      }
    }
    expect(outcome).toEqual(expected);
  });

  it("gets forbidden from exactly the protocol methods it may not call", async () => {
    const ws = await RawWs.connect(`ws://127.0.0.1:${d.port}/ws`, tokens[scope]);
    const outcome: Record<string, string> = {};
    const expected: Record<string, string> = {};
    for (const [method, declared] of Object.entries(METHODS)) {
      const res = await ws.request(method, { zz_bogus: 1 });
      outcome[method] = res.ok ? "allowed" : res.error.code === "forbidden" ? "forbidden" : res.error.code === "bad_request" ? "allowed" : res.error.code;
      expected[method] = allowed(declared, scope) ? "allowed" : "forbidden";
    }
    await ws.close();
    expect(outcome).toEqual(expected);
  });

  it("sees and calls exactly the MCP tools it may use", async () => {
    const reachesMcp = allowed(ROUTES["POST /mcp"] as Scope[], scope);
    const client = new Client({ name: "scopes-test", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL(`${d.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${tokens[scope]}` } } });
    if (!reachesMcp) {
      await expect(client.connect(transport)).rejects.toThrow(/"code":"forbidden"/);
      return;
    }
    await client.connect(transport);
    try {
      const mayUse = Object.keys(TOOLS).filter((t) => allowed(TOOLS[t]!, scope));
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(mayUse);
      const outcome: Record<string, string> = {};
      const expected: Record<string, string> = {};
      for (const [name, declared] of Object.entries(TOOLS)) {
        const r = await client.callTool({ name, arguments: { zz_bogus: 1 } }).then(
          (res) => ((res.content as Array<{ text: string }>)[0]!.text.startsWith("bad_request:") ? "allowed" : "other"),
          (err: { code?: number }) => (err.code === -32003 ? "forbidden" : `error ${err.code}`),
        );
        outcome[name] = r;
        expected[name] = allowed(declared, scope) ? "allowed" : "forbidden";
      }
      expect(outcome).toEqual(expected);
      const resources = await client.listResources().then(() => "allowed", (err: { code?: number }) => (err.code === -32003 ? "forbidden" : `error ${err.code}`));
      expect(resources).toBe(allowed(["read", "vault"], scope) ? "allowed" : "forbidden");
    } finally {
      await client.close();
    }
  });
});

describe("tokens that stopped working", () => {
  it("a revoked token gets 401 on REST, /v1, /mcp and the WebSocket handshake; `token ls` no longer shows it", async () => {
    const created = await d.api("/api/tokens", { method: "POST", body: JSON.stringify({ name: "short-lived", scopes: ["chat", "read"] }) });
    expect(created.status).toBe(201);
    const { token, info } = (await created.json()) as { token: string; info: { name: string; scopes: string[] } };
    expect(info).toMatchObject({ name: "short-lived", scopes: ["chat", "read"], expiresAt: null });
    const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    expect((await fetch(`${d.url}/api/sessions`, { headers: auth })).status).toBe(200);
    expect(((await (await d.api("/api/tokens")).json()) as { tokens: Array<{ name: string }> }).tokens.map((t) => t.name)).toContain("short-lived");
    const revoked = await runCli(["token", "revoke", "short-lived", d.dir]);
    expect(revoked.code).toBe(0);
    expect((await fetch(`${d.url}/api/sessions`, { headers: auth })).status).toBe(401);
    expect((await fetch(`${d.url}/v1/models`, { headers: auth })).status).toBe(401);
    expect((await fetch(`${d.url}/mcp`, { method: "POST", headers: { ...auth, accept: "application/json, text/event-stream" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }) })).status).toBe(401);
    const ws = await RawWs.open(`ws://127.0.0.1:${d.port}/ws`);
    const answer = await ws.hello(token).catch((e: Error) => ({ type: "thrown", message: e.message }));
    expect(answer).toMatchObject({ type: "error", error: { code: "unauthorized" } });
    expect((await ws.closed).code).toBe(4401);
    const ls = await runCli(["token", "ls", d.dir, "--json"]);
    expect(JSON.parse(ls.stdout).tokens.map((t: { name: string }) => t.name)).not.toContain("short-lived");
    const table = (await runCli(["token", "ls", d.dir])).stdout;
    expect(table).toMatch(/^NAME\s+SCOPES\s+CREATED \(UTC\)\s+EXPIRES \(UTC\)\s+LAST USED \(UTC\)/);
    expect(table).toMatch(/^t-vault\s+vault\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+never\s+\d{4}-/m);
    expect(table).not.toContain("agentd_");
    expect((await d.api("/api/tokens/short-lived", { method: "DELETE" })).status).toBe(404);
  });

  it("an expired token gets 401 and `token ls` marks it expired", async () => {
    const created = await runCli(["token", "create", "expiring", "--scope", "read", "--expires", "1h", d.dir]);
    const token = created.stdout.trim();
    expect((await fetch(`${d.url}/api/sessions`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    const db = new Database(join(d.dir, "agentd.db"));
    db.prepare(`UPDATE "api_tokens" SET "expires_at" = ? WHERE "name" = 'expiring'`).run(Date.now() - 1000);
    db.close();
    expect((await fetch(`${d.url}/api/sessions`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    const ls = await runCli(["token", "ls", d.dir, "--json"]);
    expect(JSON.parse(ls.stdout).tokens.find((t: { name: string }) => t.name === "expiring")).toMatchObject({ expired: true });
  });

  it("only an admin restarts the daemon (last: the daemon restarts in place)", async () => {
    for (const scope of ["chat", "read", "vault", "bridge"] as const) {
      expect((await fetch(`${d.url}/api/restart`, { method: "POST", headers: { authorization: `Bearer ${tokens[scope]}` } })).status).toBe(403);
    }
    expect((await fetch(`${d.url}/api/restart`, { method: "POST", headers: { authorization: `Bearer ${tokens.admin}` } })).status).toBe(202);
  });
});

describe("sessions and channels", () => {
  it("a chat-only token sees and continues only the sessions it created; a bridge token cannot pose as the terminal", async () => {
    const d2 = await startDaemon((await initAgent({ llmUrl: llm.url, edit: (c) => {
      c.agent = { ...c.agent, titleSessions: false };
      c.metrics = { ...c.metrics, public: true };
    } })).dir);
    try {
      const chatToken = (await runCli(["token", "create", "bot", "--scope", "chat", d2.dir])).stdout.trim();
      const asBot = (path: string, init: RequestInit = {}) => fetch(`${d2.url}${path}`, { ...init, headers: { authorization: `Bearer ${chatToken}`, "content-type": "application/json" } });
      const ownersTurn = (await (await d2.api("/api/chat", { method: "POST", body: JSON.stringify({ text: "owner's secret" }) })).json()) as { sessionId: string };
      const botsTurn = (await (await asBot("/api/chat", { method: "POST", body: JSON.stringify({ text: "bot's message" }) })).json()) as { sessionId: string; text: string };
      expect(botsTurn.text).toBe("You said: bot's message");
      const listed = (await (await asBot("/api/sessions")).json()) as { sessions: Array<{ id: string }> };
      expect(listed.sessions.map((s) => s.id)).toEqual([botsTurn.sessionId]);
      expect((await asBot(`/api/sessions/${ownersTurn.sessionId}/messages`)).status).toBe(404);
      expect((await asBot("/api/chat", { method: "POST", body: JSON.stringify({ text: "sneak in", sessionId: ownersTurn.sessionId }) })).status).toBe(404);
      expect((await asBot(`/api/sessions/${botsTurn.sessionId}/messages`)).status).toBe(200);
      const channel = { platform: "telegram", chatId: "1", userId: "1" };
      expect((await asBot("/api/chat", { method: "POST", body: JSON.stringify({ text: "as a bridge", channel }) })).status).toBe(403);
      // a bridge token may send with channel addresses, but not as the terminal (whose messages skip the allowlists)
      const bridgeToken = (await runCli(["token", "create", "remote-bridge", "--scope", "bridge", d2.dir])).stdout.trim();
      const asBridge = (body: unknown) => fetch(`${d2.url}/api/chat`, { method: "POST", headers: { authorization: `Bearer ${bridgeToken}`, "content-type": "application/json" }, body: JSON.stringify(body) });
      const terminal = await asBridge({ text: "let me in", channel: { platform: "terminal", chatId: "me@host", userId: "me@host" } });
      expect(terminal.status).toBe(403);
      expect(((await terminal.json()) as { error: { message: string } }).error.message).toMatch(/chat.send as the terminal needs a token with the "admin" scope/);
      expect((await asBridge({ text: "from telegram", channel })).status).not.toBe(403);
      // metrics.public opens /metrics (scope read) to callers without a token, and nothing else
      expect((await fetch(`${d2.url}/metrics`)).status).toBe(200);
      expect((await fetch(`${d2.url}/api/usage`)).status).toBe(401);
      expect((await fetch(`${d2.url}/api/sessions`)).status).toBe(401);
      // the owner still sees everything: its session, the bot's, the telegram chat's
      expect(((await (await d2.api("/api/sessions")).json()) as { sessions: unknown[] }).sessions).toHaveLength(3);
    } finally {
      await d2.kill();
    }
  });
});

describe("a bridge started by agentd start", () => {
  it("holds a bridge token of its own, never the owner token, and chats with it", async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const tgPort = (srv.address() as { port: number }).port;
    await new Promise((r) => srv.close(r));
    const tg = new TelegramServer({ port: tgPort, host: "127.0.0.1", storeTimeout: 600 });
    await tg.start();
    const botToken = "4242:scopes-bridge";
    const agent = await initAgent({
      llmUrl: llm.url,
      edit: (cfg) => {
        cfg.agent = { ...cfg.agent, titleSessions: false };
        cfg.channels = { telegram: { enabled: true, policy: "open", botToken, apiRoot: `http://127.0.0.1:${tgPort}` } };
      },
    });
    const d3 = await startDaemon(agent.dir);
    try {
      const bridgePid = await waitFor(() => readdirSync("/proc").filter((p) => /^\d+$/.test(p)).find((p) => {
        try {
          const stat = readFileSync(`/proc/${p}/stat`, "utf8");
          const cmd = readFileSync(`/proc/${p}/cmdline`, "utf8");
          return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1] === String(d3.child.pid) && cmd.includes("bridge\0telegram");
        } catch {
          return false;
        }
      }), "the supervised telegram bridge");
      const env = Object.fromEntries(readFileSync(`/proc/${bridgePid}/environ`, "utf8").split("\0").filter(Boolean).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
      const bridgeToken = env.AGENTD_TOKEN!;
      expect(bridgeToken).toMatch(/^agentd_/);
      expect(bridgeToken).not.toBe(d3.token);
      expect(Object.values(env)).not.toContain(d3.token);
      const auth = { authorization: `Bearer ${bridgeToken}` };
      expect((await fetch(`${d3.url}/api/agent-info`, { headers: auth })).status).toBe(200);
      expect((await fetch(`${d3.url}/api/config`, { headers: auth })).status).toBe(403);
      expect((await fetch(`${d3.url}/api/vault/notes`, { headers: auth })).status).toBe(403);
      const user = tg.getClient(botToken, { userId: 77, chatId: 77, userName: "zed" });
      await user.sendMessage(user.makeMessage("through a bridge token") as never);
      await waitFor(() => tg.storage.botMessages.some((m) => String(m.message.text).includes("You said: through a bridge token")), "the bridge's reply", 20_000);
    } finally {
      await d3.stop();
      await tg.stop();
    }
  });
});
