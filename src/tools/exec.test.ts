import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { ExecConfig, ToolsConfig } from "../config/sections/tools.js";
import { execMode, findOnPath } from "./sandbox.js";
import { execTool } from "./exec.js";
import { ensureWorkspace } from "./workspace.js";
import { builtinToolEntries, toolsStatus } from "./feature.js";

const bwrap = findOnPath("bwrap", process.env.PATH);
let dir: string;
let root: string;
let server: Server;
let port: number;
let connections = 0;
const logger = pino({ level: "silent" });
const ctx = (signal = new AbortController().signal) => ({ signal, sessionId: "s", runId: "r", logger });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "agentd-exec-"));
  writeFileSync(join(dir, ".env"), "OPENAI_API_KEY=sk-exec-secret\n");
  writeFileSync(join(dir, "agentd.yaml"), "name: x\n");
  root = ensureWorkspace(dir);
  process.env.AGENTD_TEST_SECRET = "daemon-env-secret";
  server = createServer((s) => {
    connections++;
    s.end("hello\n");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as { port: number }).port;
});
afterAll(() => {
  delete process.env.AGENTD_TEST_SECRET;
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

const cfg = (over: Partial<ExecConfig> = {}) => ({ ...ExecConfig.parse({ enabled: true }), ...over });
const running = (marker: string) => execFileSync("ps", ["-eo", "args"], { encoding: "utf8" }).split("\n").some((l) => l.includes(marker) && !l.includes("ps -eo"));

describe("exec in bubblewrap", () => {
  // CI installs bubblewrap (.ci/run); a machine without it must fail here, not skip
  it("bwrap is installed", () => expect(bwrap, "install bubblewrap: apt-get install -y bubblewrap").toBeTruthy());
  const tool = (over: Partial<ExecConfig> = {}) => execTool({ root, mode: { mode: "bwrap", bwrap: bwrap! }, config: () => cfg(over) });

  it("runs in the workspace: it can write there, not outside; the agent folder's secrets are invisible", async () => {
    const out = await tool().run({ command: "pwd; echo hi > made.txt; cat made.txt; touch ../escape; echo touch=$?; cat ../.env; echo cat=$?; ls / | tr '\\n' ' '" }, ctx());
    expect(out).toMatch(/^exit code 0\n\/workspace\nhi\n/);
    expect(out).toMatch(/touch=1/);
    expect(out).toMatch(/cat=1/);
    expect(out).not.toContain("sk-exec-secret");
    expect(existsSync(join(root, "made.txt"))).toBe(true);
    expect(existsSync(join(dir, "escape"))).toBe(false);
    const abs = await tool().run({ command: `cat ${join(dir, ".env")}; touch ${join(dir, "escape2")}` }, ctx());
    expect(abs).not.toContain("sk-exec-secret");
    expect(existsSync(join(dir, "escape2"))).toBe(false);
  });

  it("hides the host's secrets under /etc", async () => {
    const out = await tool().run({ command: "cat /etc/shadow 2>/dev/null | wc -c; ls /etc/ssh 2>/dev/null | wc -l; test -r /etc/passwd && echo passwd-readable" }, ctx());
    expect(out).toBe("exit code 0\n0\n0\npasswd-readable\n");
  });

  it("runs with a scrubbed environment", async () => {
    const out = await tool({ env: { GREETING: "hej" } }).run({ command: "env" }, ctx());
    expect(out).not.toContain("daemon-env-secret");
    expect(out).toContain("GREETING=hej");
    expect(out).toContain("HOME=/workspace");
  });

  it("has no network unless tools.exec.network is on", async () => {
    const probe = `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port} && head -1 <&3'`;
    const before = connections;
    const off = await tool().run({ command: probe }, ctx());
    expect(off).not.toContain("hello");
    expect(off).toMatch(/^exit code [1-9]/);
    expect(connections).toBe(before);
    const on = await tool({ network: true }).run({ command: probe }, ctx());
    expect(on).toBe("exit code 0\nhello\n");
  });

  it("kills a command at its timeout, with everything it started", async () => {
    const out = await tool({ timeoutMs: 300 }).run({ command: "sleep 100.4242 & sleep 100.4243" }, ctx());
    expect(out).toMatch(/^killed: timed out after 300 ms/);
    expect(running("100.424")).toBe(false);
  });

  it("kills the process group when the run aborts", async () => {
    const ac = new AbortController();
    const pending = tool().run({ command: "sleep 100.5151" }, ctx(ac.signal));
    await new Promise((r) => setTimeout(r, 200));
    ac.abort();
    await expect(pending).rejects.toMatchObject({ code: "aborted" });
    expect(running("100.5151")).toBe(false);
  });

  it("caps output and runs in a cwd inside the workspace only", async () => {
    const out = await tool({ maxOutputBytes: 1024 }).run({ command: "head -c 5000 /dev/zero | tr '\\0' a" }, ctx());
    expect(out).toBe(`exit code 0\n${"a".repeat(1024)}\n[… output cut: 3976 more bytes (tools.exec.maxOutputBytes)]`);
    await tool().run({ command: "mkdir -p sub" }, ctx());
    expect(await tool().run({ command: "pwd", cwd: "sub" }, ctx())).toBe("exit code 0\n/workspace/sub\n");
    await expect(tool().run({ command: "pwd", cwd: ".." }, ctx())).rejects.toThrow(/refused/);
  });
});

describe("exec availability", () => {
  const tools = (exec: Record<string, unknown>) => ToolsConfig.parse({ exec });
  it("is absent without bwrap on PATH unless sandbox: none is explicit; status says the mode", () => {
    expect(execMode(cfg(), "/nonexistent")).toMatchObject({ mode: "off", reason: expect.stringMatching(/bwrap\) is not on PATH/) });
    const noBwrap = builtinToolEntries({ root, cfg: () => tools({ enabled: true }), pathEnv: "/nonexistent" });
    expect(noBwrap.find((e) => e.name === "exec")?.tool).toBeUndefined();
    expect(toolsStatus(noBwrap, tools({ enabled: true })).find((t) => t.name === "exec")).toMatchObject({ offered: false, reason: expect.stringMatching(/not on PATH/) });
    const none = builtinToolEntries({ root, cfg: () => tools({ enabled: true, sandbox: "none" }), pathEnv: "/nonexistent" });
    const exec = none.find((e) => e.name === "exec")!;
    expect(exec.tool?.description).toMatch(/WITHOUT a sandbox/);
    expect(toolsStatus(none, tools({ enabled: true, sandbox: "none" })).find((t) => t.name === "exec")).toEqual({ name: "exec", offered: true, mode: "none" });
    const sandboxed = builtinToolEntries({ root, cfg: () => tools({ enabled: true }), pathEnv: process.env.PATH });
    expect(sandboxed.find((e) => e.name === "exec")?.tool?.description).toMatch(/inside a bubblewrap sandbox/);
  });

  it("only web_fetch is on by default", () => {
    const entries = builtinToolEntries({ root, cfg: () => ToolsConfig.parse({}), pathEnv: process.env.PATH });
    expect(entries.filter((e) => e.tool).map((e) => e.name)).toEqual(["web_fetch"]);
  });

  it("sandbox: none runs on the host in the workspace, environment scrubbed", async () => {
    const t = execTool({ root, mode: { mode: "none" }, config: () => cfg({ sandbox: "none" }) });
    const out = await t.run({ command: "pwd; env" }, ctx());
    expect(out).toContain(`exit code 0\n${root}\n`);
    expect(out).not.toContain("daemon-env-secret");
  });
});

describe("exec sandbox probe", () => {
  it("a bwrap that cannot build the sandbox leaves exec off, with bwrap's complaint", () => {
    expect(execMode(cfg(), process.env.PATH, () => "setting up uid map: Permission denied")).toEqual({ mode: "off", reason: "bubblewrap cannot create a sandbox on this machine (setting up uid map: Permission denied)" });
    expect(execMode(cfg(), process.env.PATH)).toMatchObject({ mode: "bwrap" });
  });
});
