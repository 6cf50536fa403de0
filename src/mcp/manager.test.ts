import { describe, it, expect, afterEach } from "vitest";
import { createRequire } from "node:module";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { mkdtempSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { AgentdError } from "../errors.js";
import type { ToolContext } from "../agent/tools/tool.js";
import { McpManager } from "./manager.js";
import type { McpServerConfigInput } from "../config/sections/mcp.js";
import { mcpMethods } from "../../protocol/mcp.js";

/** True while process `pid` exists (signal 0). */
function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

const everything = createRequire(import.meta.url).resolve("@modelcontextprotocol/server-everything/dist/index.js");
const dynamicServer = fileURLToPath(new URL("./test-fixtures/dynamic-server.mjs", import.meta.url));
const stdioEverything: McpServerConfigInput = { command: process.execPath, args: [everything] };

function capturingLogger(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: pino({ level: "debug" }, { write: (s: string) => void lines.push(s) }), lines };
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

function ctx(signal = new AbortController().signal): ToolContext {
  return { signal, sessionId: "s1", runId: "r1", logger: pino({ level: "silent" }) };
}

async function rejection(p: Promise<unknown>): Promise<AgentdError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AgentdError);
  return err as AgentdError;
}

/** Pids of our child processes whose command line contains `marker` (Linux `ps`). */
function childPids(marker: string): number[] {
  const out = execFileSync("ps", ["-o", "pid=,args=", "--ppid", String(process.pid)], { encoding: "utf8" });
  return out
    .split("\n")
    .filter((l) => l.includes(marker))
    .map((l) => Number.parseInt(l.trim(), 10));
}

const managers: McpManager[] = [];
function manager(servers: Record<string, McpServerConfigInput>, logger = pino({ level: "silent" }), cwd = process.cwd()): McpManager {
  const m = new McpManager({ servers, logger, cwd, timing: { backoff: { initialMs: 200, maxMs: 1000 } } });
  managers.push(m);
  return m;
}
const connected = (m: McpManager, name: string) => () => m.status().find((s) => s.name === name && s.state === "connected");
const tool = (m: McpManager, name: string) => () => m.tools().find((t) => t.name === name);

afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.stop()));
});

describe("McpManager over stdio (server-everything)", () => {
  it("connects in the background and calls echo and get-sum end to end", async () => {
    const m = manager({ everything: stdioEverything });
    const t0 = performance.now();
    m.start();
    expect(performance.now() - t0).toBeLessThan(50);
    expect(m.status()[0]).toMatchObject({ name: "everything", transport: "stdio", enabled: true, state: "connecting", tools: [] });

    const echo = await waitFor(tool(m, "everything__echo"));
    expect(echo.source).toBe("everything");
    expect(echo.description).toBe("Echoes back the input string");
    expect(echo.inputSchema).toMatchObject({ type: "object", required: ["message"] });
    expect(echo.inputSchema).not.toHaveProperty("$schema");
    expect(await echo.run({ message: "hello" }, ctx())).toBe("Echo: hello");
    const sum = m.tools().find((t) => t.name === "everything__get-sum");
    expect(await sum?.run({ a: 2, b: 40 }, ctx())).toContain("42");

    const status = m.status()[0];
    expect(status?.state).toBe("connected");
    expect(status?.tools).toContain("everything__echo");
    expect(status?.pid).toBeGreaterThan(0);
    expect(Date.parse(status?.connectedAt ?? "")).not.toBeNaN();
    for (const t of m.tools()) expect(t.description.length).toBeLessThanOrEqual(200);
    expect(mcpMethods["mcp.list"].result.parse({ servers: m.status() }).servers).toHaveLength(1);
  });

  it("offers only allowed, not denied tools", async () => {
    const m = manager({ ev: { ...stdioEverything, tools: { allow: ["echo", "get-sum", "get-env"], deny: ["get-env"] } } });
    m.start();
    await waitFor(connected(m, "ev"));
    expect(m.tools().map((t) => t.name).sort()).toEqual(["ev__echo", "ev__get-sum"]);
    expect(m.status()[0]?.tools.sort()).toEqual(["ev__echo", "ev__get-sum"]);
  });

  it("reconnects after the child is killed; a call during the gap fails clearly, then works again", async () => {
    const m = manager({ ev: stdioEverything });
    const changes: string[][] = [];
    m.onToolsChanged(() => changes.push(m.tools().map((t) => t.name)));
    m.start();
    const echo = await waitFor(tool(m, "ev__echo"));
    const pid = m.status()[0]?.pid ?? 0;
    expect(pid).toBeGreaterThan(0);

    process.kill(pid, "SIGKILL");
    const gap = await waitFor(() => m.status().find((s) => s.state === "reconnecting"));
    expect(gap.lastError).toContain("server process exited");
    expect(gap.tools).toEqual([]);
    expect(m.tools()).toEqual([]);
    expect(changes.at(-1)).toEqual([]);
    const err = await rejection(echo.run({ message: "x" }, ctx()));
    expect(err.code).toBe("unavailable");
    expect(err.message).toMatch(/^MCP server "ev" is not connected \((reconnecting in \d+ s|reconnecting now)\): server process exited/);

    await waitFor(connected(m, "ev"));
    expect(m.status()[0]?.pid).not.toBe(pid);
    expect(isProcessAlive(pid)).toBe(false);
    expect(await echo.run({ message: "back" }, ctx())).toBe("Echo: back");
    expect(changes.at(-1)).toContain("ev__echo");
  });

  it("a command that does not exist: start() returns at once, status shows the error, retries go on", async () => {
    const m = manager({ broken: { command: "nonexistent-cmd-agentd" }, ok: stdioEverything });
    const t0 = performance.now();
    m.start();
    expect(performance.now() - t0).toBeLessThan(50);
    const st = await waitFor(() => m.status().find((s) => s.name === "broken" && s.state === "error"));
    expect(st.lastError).toBe("spawn nonexistent-cmd-agentd ENOENT");
    expect(st.nextRetryAt).toBeDefined();
    expect(() => mcpMethods["mcp.list"].result.parse({ servers: m.status() })).not.toThrow();
    const first = st.nextRetryAt;
    await waitFor(() => m.status()[0]?.nextRetryAt !== first && m.status()[0]?.nextRetryAt);
    await waitFor(connected(m, "ok"));
    expect(m.tools().every((t) => t.source === "ok")).toBe(true);
  });

  it("a hanging call times out after callTimeoutMs; an abort cancels within 100 ms; the server keeps working", async () => {
    const m = manager({ ev: { ...stdioEverything, callTimeoutMs: 300 } });
    m.start();
    const slow = await waitFor(tool(m, "ev__trigger-long-running-operation"));

    let t0 = performance.now();
    const timedOut = await rejection(slow.run({ duration: 30, steps: 1 }, ctx()));
    expect(timedOut.code).toBe("timeout");
    expect(timedOut.message).toBe('MCP tool "ev__trigger-long-running-operation" timed out after 300 ms');
    expect(performance.now() - t0).toBeLessThan(1000);

    const ac = new AbortController();
    const pending = rejection(slow.run({ duration: 30, steps: 1 }, ctx(ac.signal)));
    await new Promise((r) => setTimeout(r, 50));
    t0 = performance.now();
    ac.abort();
    const aborted = await pending;
    expect(performance.now() - t0).toBeLessThan(100);
    expect(aborted.code).toBe("aborted");

    const echo = m.tools().find((t) => t.name === "ev__echo");
    expect(await echo?.run({ message: "still here" }, ctx())).toBe("Echo: still here");
  });

  it("stop() leaves no child process alive", async () => {
    const m = manager({ a: stdioEverything, b: stdioEverything });
    m.start();
    await waitFor(() => m.status().every((s) => s.state === "connected"));
    const pids = m.status().map((s) => s.pid ?? 0);
    expect(pids.every((p) => p > 0 && isProcessAlive(p))).toBe(true);
    const t0 = performance.now();
    await m.stop();
    expect(performance.now() - t0).toBeLessThan(1500);
    for (const pid of pids) expect(isProcessAlive(pid)).toBe(false);
    expect(m.tools()).toEqual([]);
  });

  it("stop() during the first connection attempt kills the child too", async () => {
    const m = manager({ a: { command: process.execPath, args: [everything, "stdio", "stop-early-marker"] } });
    m.start();
    await waitFor(() => childPids("stop-early-marker").length === 1);
    await m.stop(); // a child still loading notices its stdin's end late: the SDK's SIGTERM follows after 2 s
    expect(childPids("stop-early-marker")).toEqual([]);
  });

  it("stop() kills a stuck server that ignores stdin's end and SIGTERM (SIGKILL after the SDK's grace)", async () => {
    const stuck = "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000) /* stuck-marker */";
    const m = manager({ a: { command: process.execPath, args: ["-e", stuck] } });
    m.start();
    await waitFor(() => childPids("stuck-marker").length === 1);
    await m.stop();
    await waitFor(() => childPids("stuck-marker").length === 0, 2000);
  }, 15_000);

  it("a server that never answers initialize fails after connectTimeoutMs and its child is killed", async () => {
    const m = new McpManager({
      servers: { mute: { command: process.execPath, args: ["-e", "setInterval(() => {}, 1000) /* mute-marker */"] } },
      logger: pino({ level: "silent" }),
      cwd: process.cwd(),
      timing: { connectTimeoutMs: 300, backoff: { initialMs: 5000 } },
    });
    managers.push(m);
    m.start();
    await waitFor(() => childPids("mute-marker").length === 1);
    const st = await waitFor(() => m.status().find((s) => s.state === "error"));
    expect(st.lastError).toBe("no answer to initialize within 300 ms");
    // the SDK closes its stdin, then sends SIGTERM after 2 s (MCP spec, stdio shutdown)
    await waitFor(() => childPids("mute-marker").length === 0, 6000);
  });

  it("update() adds, removes and restarts changed servers, leaving unchanged ones alone", async () => {
    const m = manager({ a: stdioEverything, b: stdioEverything });
    m.start();
    await waitFor(() => m.status().every((s) => s.state === "connected"));
    const pidA = m.status().find((s) => s.name === "a")?.pid ?? 0;
    const pidB = m.status().find((s) => s.name === "b")?.pid ?? 0;

    await m.update({ a: stdioEverything, b: { ...stdioEverything, tools: { allow: ["echo"] } }, c: stdioEverything, off: { ...stdioEverything, enabled: false } });
    expect(isProcessAlive(pidB)).toBe(false);
    await waitFor(() => m.status().filter((s) => s.state === "connected").length === 3);
    expect(m.status().map((s) => [s.name, s.state])).toEqual([["a", "connected"], ["b", "connected"], ["c", "connected"], ["off", "disabled"]]);
    expect(m.status().find((s) => s.name === "a")?.pid).toBe(pidA);
    expect(m.status().find((s) => s.name === "b")?.tools).toEqual(["b__echo"]);

    await m.update({ c: stdioEverything });
    expect(isProcessAlive(pidA)).toBe(false);
    expect(m.status().map((s) => s.name)).toEqual(["c"]);
    expect(new Set(m.tools().map((t) => t.source))).toEqual(new Set(["c"]));

    await expect(m.update({ "bad name!": stdioEverything })).rejects.toThrow(/mcp\.servers\.bad name!/);
    expect(m.status().map((s) => s.name)).toEqual(["c"]);
  });

  it("re-lists tools on notifications/tools/list_changed and reports isError results as tool errors", async () => {
    const m = manager({ dyn: { command: process.execPath, args: [dynamicServer] } });
    let changed = 0;
    m.onToolsChanged(() => changed++);
    m.start();
    const add = await waitFor(tool(m, "dyn__add-tool"));
    expect(m.tools().map((t) => t.name).sort()).toEqual(["dyn__add-tool", "dyn__fail"]);
    const before = changed;
    expect(await add.run({}, ctx())).toBe("added");
    const extra = await waitFor(tool(m, "dyn__extra"));
    expect(changed).toBeGreaterThan(before);
    expect(await extra.run({}, ctx())).toBe("extra ran");

    const fail = m.tools().find((t) => t.name === "dyn__fail");
    const err = await rejection(fail?.run({}, ctx()) ?? Promise.resolve());
    expect(err.message).toBe("it broke on purpose");
  });

  it("resolves a relative cwd against the agent folder and keeps env secrets out of status and logs", async () => {
    const agentDir = realpathSync(mkdtempSync(path.join(tmpdir(), "agentd-mcp-")));
    const { logger, lines } = capturingLogger();
    const script = "console.error('cwd=' + process.cwd() + ' token=' + process.env.API_TOKEN); process.exit(3)";
    const m = manager({ leaky: { command: process.execPath, args: ["-e", script], env: { API_TOKEN: "s3cret-token-value" }, cwd: "." } }, logger, agentDir);
    m.start();
    const st = await waitFor(() => m.status().find((s) => s.state === "error"));
    expect(st.lastError).toContain(`cwd=${agentDir} token=***`);
    expect(JSON.stringify(m.status())).not.toContain("s3cret-token-value");
    expect(lines.join("")).toContain("token=***");
    expect(lines.join("")).not.toContain("s3cret-token-value");
  });

  it("rejects an invalid server entry with its key path", () => {
    expect(() => manager({ x: { command: "a", argz: [] } as unknown as McpServerConfigInput })).toThrow(/mcp\.servers\.x\.argz: Unrecognized key/);
  });
});
