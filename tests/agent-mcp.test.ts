import { describe, it, expect, beforeAll, afterAll, beforeEach } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { createRequire } from "node:module";
import { startFakeLlm, type FakeLlm } from "./support/fake-llm.js";
import { initAgent, startDaemon, cleanup, waitFor, type RunningDaemon } from "./support/daemon.js";
import { chatRequests, collect, scriptSideCalls } from "./support/agent-llm.js";
import { AgentdClient } from "../protocol/client.js";
import type { RunEvent } from "../protocol/events.js";
import type { McpServerStatus } from "../protocol/mcp.js";

const everything = createRequire(import.meta.url).resolve("@modelcontextprotocol/server-everything/dist/index.js");

let llm: FakeLlm;
let http: ChildProcess | undefined;
let daemon: RunningDaemon;
let client: AgentdClient;
let dir: string;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function servers(): Promise<Record<string, McpServerStatus>> {
  const { servers: list } = (await (await daemon.api("/api/mcp")).json()) as { servers: McpServerStatus[] };
  return Object.fromEntries(list.map((s) => [s.name, s]));
}

const toolResults = (events: RunEvent[]) =>
  events.filter((e): e is Extract<RunEvent, { event: "run.tool" }> => e.event === "run.tool" && e.payload.phase === "result").map((e) => e.payload);

/** Scripts one tool call of `name` with `args`, then a closing text, and runs it in `sessionId`. */
async function callTool(name: string, args: unknown, sessionId?: string) {
  llm.enqueue({ toolCalls: [{ name, arguments: JSON.stringify(args) }] }, { text: "done" });
  const run = await client.send(`please use ${name}`, sessionId ? { sessionId } : {});
  return { run, events: await collect(run) };
}

beforeAll(async () => {
  llm = await startFakeLlm();
  const port = await freePort();
  http = spawn(process.execPath, [everything, "streamableHttp"], { env: { ...process.env, PORT: String(port) }, stdio: "ignore" });
  await waitFor(async () => {
    try {
      await fetch(`http://127.0.0.1:${port}/mcp`, { method: "GET" });
      return true;
    } catch {
      return false;
    }
  }, "the streamable HTTP MCP server");
  ({ dir } = await initAgent({
    llmUrl: llm.url,
    edit: (cfg) => {
      cfg.mcp = {
        servers: {
          ev: { command: process.execPath, args: [everything] },
          web: { url: `http://127.0.0.1:${port}/mcp` },
          broken: { command: "/nonexistent/agentd-no-such-mcp-server" },
        },
      };
    },
  }));
  daemon = await startDaemon(dir);
  client = await AgentdClient.connect({ url: daemon.url, token: daemon.token });
  await waitFor(async () => {
    const s = await servers();
    return s.ev?.state === "connected" && s.web?.state === "connected";
  }, "the MCP servers to connect", 20_000);
});

afterAll(async () => {
  client?.close();
  await daemon?.stop();
  http?.kill("SIGKILL");
  await llm?.close();
  if (dir) cleanup(dir);
});

beforeEach(() => {
  llm.reset();
  scriptSideCalls(llm);
});

describe("MCP tools in the agent loop", () => {
  it("serves with a server whose command does not exist, and shows its error in GET /api/mcp", async () => {
    expect((await daemon.api("/api/health")).status).toBe(200);
    const broken = await waitFor(async () => ((await servers()).broken?.lastError ? (await servers()).broken : undefined), "the broken server's error");
    expect(broken.state).toBe("error");
    expect(broken.lastError).toMatch(/agentd-no-such-mcp-server|ENOENT|not found/i);
    expect(broken.tools).toEqual([]);
  });

  it("calls a tool of a stdio server end to end", async () => {
    const { events } = await callTool("ev__echo", { message: "hi over stdio" });
    expect(toolResults(events)).toMatchObject([{ name: "ev__echo", isError: false, result: "Echo: hi over stdio" }]);
    expect(events.at(-1)!.payload).toMatchObject({ status: "ok", text: "done" });
    const offered = chatRequests(llm)[0]!.body.tools.map((t: any) => t.function.name);
    expect(offered).toEqual(expect.arrayContaining(["ev__echo", "web__echo", "current_time"]));
    expect(chatRequests(llm)[1]!.body.messages.at(-1)).toMatchObject({ role: "tool", content: "Echo: hi over stdio" });
  });

  it("calls a tool of a streamable HTTP server end to end", async () => {
    const { events } = await callTool("web__echo", { message: "hi over http" });
    expect(toolResults(events)).toMatchObject([{ name: "web__echo", isError: false, result: "Echo: hi over http" }]);
  });

  it("reconnects a killed stdio server and works again in the same session", async () => {
    const { run } = await callTool("ev__echo", { message: "before" });
    const pid = (await servers()).ev!.pid!;
    process.kill(pid, "SIGKILL");
    const back = await waitFor(async () => {
      const s = (await servers()).ev!;
      return s.state === "connected" && s.pid !== pid ? s : undefined;
    }, "the stdio server to reconnect", 15_000);
    expect(back.tools).toContain("ev__echo");
    const { events } = await callTool("ev__echo", { message: "after" }, run.sessionId);
    expect(toolResults(events)).toMatchObject([{ isError: false, result: "Echo: after" }]);
  });

  it("aborts a running MCP tool within 100 ms; the run ends aborted", async () => {
    llm.enqueue({ toolCalls: [{ name: "ev__trigger-long-running-operation", arguments: '{"duration":5,"steps":5}' }] });
    const run = await client.send("start the long operation");
    let abortedAt = 0;
    let done: any;
    let doneAfterMs = -1;
    for await (const ev of run.events) {
      if (ev.event === "run.tool" && ev.payload.phase === "call") {
        await new Promise((r) => setTimeout(r, 100)); // the call is under way
        abortedAt = Date.now();
        void client.request("chat.abort", { runId: run.runId });
      }
      if (ev.event === "run.done") {
        done = ev.payload;
        doneAfterMs = Date.now() - abortedAt;
      }
    }
    expect(done.status).toBe("aborted");
    expect(doneAfterMs).toBeLessThan(100);
    const { messages } = (await (await daemon.api(`/api/sessions/${run.sessionId}/messages`)).json()) as { messages: any[] };
    expect(messages.find((m) => m.role === "tool")).toMatchObject({ content: "Error: aborted", status: "error" });
    // the server is still usable
    const { events } = await callTool("ev__echo", { message: "still here" });
    expect(toolResults(events)).toMatchObject([{ result: "Echo: still here" }]);
  });
});
