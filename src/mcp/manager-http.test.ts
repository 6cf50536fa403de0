import { describe, it, expect, afterEach, afterAll } from "vitest";
import { createRequire } from "node:module";
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { createServer as createHttpServer, type IncomingHttpHeaders } from "node:http";
import pino from "pino";
import { AgentdError } from "../errors.js";
import type { ToolContext } from "../agent/tools/tool.js";
import { McpManager } from "./manager.js";
import type { McpServerConfigInput } from "../config/sections/mcp.js";

const everything = createRequire(import.meta.url).resolve("@modelcontextprotocol/server-everything/dist/index.js");

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

const httpServers: ChildProcess[] = [];
/** Starts server-everything's streamable HTTP transport on `port` (it serves /mcp) and waits until it listens. */
async function startHttpEverything(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [everything, "streamableHttp"], { env: { ...process.env, PORT: String(port) }, stdio: ["ignore", "ignore", "pipe"] });
  httpServers.push(child);
  await new Promise<void>((resolve, reject) => {
    let err = "";
    child.stderr?.on("data", (d: Buffer) => {
      err += d.toString();
      if (err.includes("listening on port")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`HTTP MCP server exited (${code}): ${err}`)));
  });
  return child;
}
async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await exited;
}

async function waitFor<T>(probe: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const ctx = (): ToolContext => ({ signal: new AbortController().signal, sessionId: "s1", runId: "r1", logger: pino({ level: "silent" }) });

const managers: McpManager[] = [];
function manager(servers: Record<string, McpServerConfigInput>, logger = pino({ level: "silent" })): McpManager {
  const m = new McpManager({ servers, logger, cwd: process.cwd(), timing: { backoff: { initialMs: 200, maxMs: 1000 } } });
  managers.push(m);
  return m;
}

afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.stop()));
});
afterAll(async () => {
  await Promise.all(httpServers.map(kill));
});

describe("McpManager over streamable HTTP (server-everything)", () => {
  it("calls echo and get-sum end to end, sends headers, never shows them", async () => {
    const port = await freePort();
    await startHttpEverything(port);
    const lines: string[] = [];
    const logger = pino({ level: "debug" }, { write: (s: string) => void lines.push(s) });
    const m = manager({ web: { url: `http://127.0.0.1:${port}/mcp`, headers: { Authorization: "Bearer very-secret-token" } } }, logger);
    m.start();
    const echo = await waitFor(() => m.tools().find((t) => t.name === "web__echo"));
    expect(await echo.run({ message: "over http" }, ctx())).toBe("Echo: over http");
    const sum = m.tools().find((t) => t.name === "web__get-sum");
    expect(await sum?.run({ a: 1.5, b: 2 }, ctx())).toContain("3.5");
    const st = m.status()[0];
    expect(st).toMatchObject({ name: "web", transport: "http", state: "connected" });
    expect(st?.pid).toBeUndefined();
    await m.stop();
    expect(JSON.stringify(m.status()) + lines.join("")).not.toContain("very-secret-token");
  });

  it("sends the configured headers and shows an HTTP failure in status without them", async () => {
    const seen: IncomingHttpHeaders[] = [];
    const srv = createHttpServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(500).end("nope");
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const port = (srv.address() as { port: number }).port;
    try {
      const m = manager({ api: { url: `http://127.0.0.1:${port}/mcp`, headers: { Authorization: "Bearer header-secret-42", "X-Team": "blue" } } });
      m.start();
      const st = await waitFor(() => m.status().find((s) => s.state === "error"));
      expect(seen[0]).toMatchObject({ authorization: "Bearer header-secret-42", "x-team": "blue" });
      expect(st.lastError).toMatch(/500/);
      expect(JSON.stringify(m.status())).not.toContain("header-secret-42");
    } finally {
      await Promise.all(managers.splice(0).map((m) => m.stop()));
      await new Promise((r) => srv.close(r));
    }
  });

  it("an unreachable URL: start() returns at once and status shows the error", async () => {
    const port = await freePort();
    const m = manager({ down: { url: `http://127.0.0.1:${port}/mcp` } });
    m.start();
    const st = await waitFor(() => m.status().find((s) => s.state === "error"));
    expect(st.lastError).toMatch(/ECONNREFUSED|fetch failed/);
    expect(m.tools()).toEqual([]);
  });

  it("reconnects when the HTTP server goes away and comes back", async () => {
    const port = await freePort();
    const first = await startHttpEverything(port);
    const m = manager({ web: { url: `http://127.0.0.1:${port}/mcp` } });
    m.start();
    const echo = await waitFor(() => m.tools().find((t) => t.name === "web__echo"));

    await kill(first);
    const err = await echo.run({ message: "x" }, ctx()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AgentdError);
    expect((err as AgentdError).code).toBe("unavailable");
    await waitFor(() => m.status().find((s) => s.state === "reconnecting" || s.state === "error"));
    expect(m.tools()).toEqual([]);

    await startHttpEverything(port);
    await waitFor(() => m.status().find((s) => s.state === "connected"), 8000);
    expect(await echo.run({ message: "again" }, ctx())).toBe("Echo: again");
  });
});
