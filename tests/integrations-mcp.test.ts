import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { startFakeLlm, type FakeLlm } from "./support/fake-llm.js";
import { CLI, ROOT, initAgent, runCli, startDaemon, tempDir, waitFor, type RunningDaemon } from "./support/daemon.js";
import { RECALL_QUESTION, recallRule } from "./support/recall-rule.js";

const run = promisify(execFile);
const INSPECTOR = join(ROOT, "node_modules", "@modelcontextprotocol", "inspector", "clients", "launcher", "build", "index.js");
const ALL_TOOLS = ["chat", "vault_search", "vault_read", "vault_write", "memory_append", "sessions_list", "schedule_create"];

let llm: FakeLlm;
let d: RunningDaemon;
const clients: Client[] = [];

beforeAll(async () => {
  llm = await startFakeLlm();
  llm.onRequest(recallRule);
  const { dir } = await initAgent({ llmUrl: llm.url, edit: (c) => (c.agent = { ...c.agent, titleSessions: false }) });
  cpSync(join(ROOT, "tests", "fixtures", "vault"), join(dir, "vault"), { recursive: true });
  d = await startDaemon(dir);
  await waitFor(async () => !((await (await d.api("/api/vault/search?q=plan")).json()) as { indexing: boolean }).indexing, "the first index");
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await d?.kill();
  await llm?.close();
});

async function httpClient(token: string): Promise<Client> {
  const client = new Client({ name: "agentd-test", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${d.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  clients.push(client);
  return client;
}
const textOf = (r: Record<string, unknown>) => (r.content as Array<{ type: string; text: string }>).map((c) => c.text).join("");

describe("agentd as an MCP server, with the MCP SDK's Client", () => {
  it("lists its tools and chats over Streamable HTTP; a named session keeps its conversation", async () => {
    const client = await httpClient(d.token);
    expect(client.getServerVersion()?.name).toBe("agentd-agent");
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(ALL_TOOLS);
    const first = await client.callTool({ name: "chat", arguments: { message: "remember the lighthouse", session: "mcp-a" } });
    expect(first.isError).toBeFalsy();
    expect(textOf(first)).toBe("You said: remember the lighthouse");
    expect(first.structuredContent).toMatchObject({ session: "mcp-a", status: "ok", usage: { promptTokens: expect.any(Number) } });
    const again = await client.callTool({ name: "chat", arguments: { message: RECALL_QUESTION, session: "mcp-a" } });
    expect(textOf(again)).toBe("Your first message was: remember the lighthouse");
    const other = await client.callTool({ name: "chat", arguments: { message: RECALL_QUESTION } });
    expect(textOf(other)).toBe(`Your first message was: ${RECALL_QUESTION}`);
  });

  it("searches, reads and writes the vault, appends to memory, lists sessions, serves notes as resources", async () => {
    const client = await httpClient(d.token);
    const found = await client.callTool({ name: "vault_search", arguments: { query: "plan" } });
    expect(textOf(found)).toContain("Projects/Plan.md");
    expect((found.structuredContent as { hits: Array<{ path: string }> }).hits.map((h) => h.path)).toContain("Projects/Plan.md");
    expect(textOf(await client.callTool({ name: "vault_read", arguments: { path: "Projects/Plan.md" } }))).toContain("# Project Plan");
    const written = await client.callTool({ name: "vault_write", arguments: { path: "Inbox/From MCP.md", content: "# From MCP\n\nzanzibar notes" } });
    expect(textOf(written)).toBe("Created Inbox/From MCP.md.");
    await waitFor(async () => textOf(await client.callTool({ name: "vault_search", arguments: { query: "zanzibar" } })).includes("Inbox/From MCP.md"), "the written note in search");
    const remembered = await client.callTool({ name: "memory_append", arguments: { text: "prefers tea" } });
    expect(readFileSync(join(d.dir, "MEMORY.md"), "utf8")).toContain((remembered.structuredContent as { line: string }).line);
    const sessions = await client.callTool({ name: "sessions_list", arguments: {} });
    expect((sessions.structuredContent as { sessions: unknown[] }).sessions.length).toBeGreaterThanOrEqual(2);
    const scheduled = await client.callTool({ name: "schedule_create", arguments: { name: "mcp-reminder", at: "in 2 hours", prompt: "Remind me to stretch." } });
    expect(textOf(scheduled)).toMatch(/^Scheduled "mcp-reminder" \(id [\w-]+\); next run \d{4}-/);
    const jobs = (await (await d.api("/api/schedules")).json()) as { schedules: Array<{ name: string; kind: string }> };
    expect(jobs.schedules).toContainEqual(expect.objectContaining({ name: "mcp-reminder", kind: "at" }));
    const missing = await client.callTool({ name: "vault_read", arguments: { path: "Nope.md" } });
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toMatch(/^not_found: /);
    const resources = (await client.listResources()).resources;
    expect(resources.map((r) => r.uri)).toContain("vault://Inbox/From%20MCP.md");
    const read = await client.readResource({ uri: "vault://Inbox/From%20MCP.md" });
    expect(read.contents[0]).toMatchObject({ mimeType: "text/markdown", text: "# From MCP\n\nzanzibar notes" });
    expect((await client.listResourceTemplates()).resourceTemplates[0]!.uriTemplate).toBe("vault://{+path}");
  });

  it("refuses requests without a good token with 401", async () => {
    const res = await fetch(`${d.url}/mcp`, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }) });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain("Bearer");
    await expect(httpClient("wrong-token")).rejects.toThrow();
  });

  it("answers an empty batch with one JSON-RPC Invalid Request error, and bad JSON with a parse error", async () => {
    const post = (body: string) => fetch(`${d.url}/mcp`, { method: "POST", headers: { authorization: `Bearer ${d.token}`, "content-type": "application/json", accept: "application/json, text/event-stream" }, body });
    const empty = await post("[ ]");
    expect(empty.status).toBe(400);
    expect(await empty.json()).toEqual({ jsonrpc: "2.0", error: { code: -32600, message: "Invalid Request: an empty batch" }, id: null });
    const bad = await post("{not json");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: number } }).error.code).toBe(-32700);
    // a request still works
    const one = await post(JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/list" }));
    expect(one.status).toBe(200);
    const answer = (await one.json()) as { id: number; result: { tools: unknown[] } };
    expect(answer.id).toBe(7);
    expect(answer.result.tools.length).toBe(ALL_TOOLS.length);
  });

  it("agentd mcp DIR: the stdio proxy forwards to a daemon started separately, with the token of AGENTD_TOKEN", async () => {
    const created = await runCli(["token", "create", "desktop", "--scope", "chat,read", d.dir]);
    expect(created.code).toBe(0);
    const scoped = created.stdout.trim();
    const client = new Client({ name: "agentd-test-stdio", version: "1.0.0" });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, "mcp", d.dir], env: { ...process.env as Record<string, string>, AGENTD_TOKEN: scoped }, stderr: "pipe" }));
    clients.push(client);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(["chat", "vault_search", "vault_read", "sessions_list"]);
    expect(textOf(await client.callTool({ name: "chat", arguments: { message: "over stdio", session: "stdio" } }))).toBe("You said: over stdio");
    expect(textOf(await client.callTool({ name: "vault_search", arguments: { query: "plan" } }))).toContain("Projects/Plan.md");
    await expect(client.callTool({ name: "vault_write", arguments: { path: "x.md", content: "x" } })).rejects.toMatchObject({ code: -32003 });
    expect((await client.listResources()).resources.length).toBeGreaterThan(0);
  });
});

describe("agentd mcp DIR and a stale .port", () => {
  it("sends the token to nobody: a program on the port of a stale .port gets no bearer token", async () => {
    const { dir, token } = await initAgent({ llmUrl: llm.url });
    const received: string[] = [];
    const impostor = createServer((req, res) => {
      received.push(`${req.method} ${req.url} ${JSON.stringify(req.headers)}`);
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
    await new Promise<void>((r) => impostor.listen(0, "127.0.0.1", r));
    writeFileSync(join(dir, ".port"), String((impostor.address() as AddressInfo).port));
    const client = new Client({ name: "agentd-test-stale", version: "1.0.0" });
    try {
      await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, "mcp", dir], env: { ...process.env as Record<string, string>, AGENTD_TOKEN: "" }, stderr: "pipe" }));
      await expect(client.listTools()).rejects.toThrow(/agentd|prove/);
      expect(received.length).toBeGreaterThan(0); // it was asked (the WebSocket upgrade), and refused it
      expect(received.join("\n")).not.toContain(token);
    } finally {
      await client.close();
      await new Promise((r) => impostor.close(r));
    }
  });
});

describe("agentd as an MCP server, with the MCP Inspector's CLI", () => {
  const inspector = async (...args: string[]) => {
    const home = tempDir("agentd-inspector-");
    const { stdout } = await run(process.execPath, [INSPECTOR, "--cli", `${d.url}/mcp`, "--transport", "http", "--header", `Authorization: Bearer ${d.token}`, ...args], {
      env: { ...process.env, HOME: home, MCP_CATALOG_PATH: join(home, "mcp.json") }, timeout: 60_000,
    });
    return JSON.parse(stdout) as Record<string, any>;
  };

  it("lists the tools and calls vault_search and chat", async () => {
    expect((await inspector("--method", "tools/list")).tools.map((t: { name: string }) => t.name)).toEqual(ALL_TOOLS);
    const search = await inspector("--method", "tools/call", "--tool-name", "vault_search", "--tool-arg", "query=plan");
    expect(search.content[0].text).toContain("Projects/Plan.md");
    const chat = await inspector("--method", "tools/call", "--tool-name", "chat", "--tool-arg", "message=hello inspector", "--tool-arg", "session=inspector");
    expect(chat.content[0].text).toBe("You said: hello inspector");
  });
});
