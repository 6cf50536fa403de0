/**
 * Issue 13 (tools) through the real daemon: the scripted model calls web_fetch and exec, the tool results reach
 * the model in its next request; without bwrap on the daemon's PATH, exec is absent; by default web_fetch refuses
 * loopback. Runs bwrap for real (CI installs bubblewrap, .ci/run).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { AddressInfo } from "node:net";
import { startFakeLlm, type FakeLlm } from "./support/fake-llm.js";
import { cleanup, initAgent, runCli, startDaemon, type RunningDaemon } from "./support/daemon.js";
import { chatRequests, collect, scriptSideCalls } from "./support/agent-llm.js";
import { AgentdClient } from "../protocol/client.js";

const PAGE = `<!doctype html><html><head><title>Tide tables</title></head><body><nav>Home · Shop · Login</nav>
<main><article><h1>Tide tables</h1><p>High tide at Brest is at 06:12 and 18:40 today; low tide at 00:05 and 12:27.
The coefficient is 95, a spring tide, so the water comes in fast over the flats: walkers should leave the beach
an hour before high water.</p><p>Tables for the week are published every Monday by the harbour office.</p></article></main>
<footer>Cookie settings</footer></body></html>`;

let llm: FakeLlm;
let page: Server;
let pageUrl: string;
const dirs: string[] = [];
const daemons: RunningDaemon[] = [];

beforeAll(async () => {
  llm = await startFakeLlm();
  scriptSideCalls(llm);
  page = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(PAGE));
  await new Promise<void>((r) => page.listen(0, "127.0.0.1", r));
  pageUrl = `http://127.0.0.1:${(page.address() as AddressInfo).port}/tides`;
});
afterAll(async () => {
  for (const d of daemons) await d.stop();
  await llm?.close();
  page?.close();
  for (const d of dirs) cleanup(dirname(d));
});

/** The tool message the model received for `callId` in its follow-up request. */
const toolResultSent = (callId: string) => {
  for (const r of chatRequests(llm)) {
    const m = r.body.messages.find((x: any) => x.role === "tool" && x.tool_call_id === callId);
    if (m) return m.content as string;
  }
  return undefined;
};
const toolNamesOffered = () => (chatRequests(llm).at(-1)!.body.tools ?? []).map((t: any) => t.function.name) as string[];

describe("built-in tools through the daemon", () => {
  it("web_fetch and exec (bwrap): the model calls them and their results reach it; status names the sandbox", async () => {
    const { dir } = await initAgent({
      llmUrl: llm.url,
      edit: (cfg) => {
        cfg.tools = { deny: [], web_fetch: { enabled: true, allowPrivateNetwork: true }, exec: { enabled: true, sandbox: "bwrap", timeoutMs: 5000 }, approval: { rules: { exec: "allow" } } };
      },
    });
    dirs.push(dir);
    expect(existsSync(join(dir, "workspace"))).toBe(true);
    const daemon = await startDaemon(dir);
    daemons.push(daemon);
    const client = await AgentdClient.connect({ url: daemon.url, token: daemon.token });
    try {
      llm.reset();
      llm.enqueue(
        { toolCalls: [{ id: "call_fetch", name: "web_fetch", arguments: JSON.stringify({ url: pageUrl }) }] },
        { toolCalls: [{ id: "call_exec", name: "exec", arguments: JSON.stringify({ command: "echo ebb > tide.txt; cat ../.env; touch ../escape; echo done" }) }] },
        { text: "High tide is at 06:12." },
      );
      const events = await collect(await client.send("When is high tide?"));
      expect(events.at(-1)).toMatchObject({ event: "run.done", payload: { status: "ok", text: "High tide is at 06:12." } });
      expect(toolNamesOffered()).toEqual(expect.arrayContaining(["web_fetch", "exec"]));

      const fetched = toolResultSent("call_fetch")!;
      expect(fetched).toMatch(/^# Tide tables\nURL: http:\/\/127\.0\.0\.1:\d+\/tides\nStatus: 200\n/);
      expect(fetched).toContain("High tide at Brest is at 06:12 and 18:40 today");
      expect(fetched).not.toMatch(/Cookie settings|Login/);

      const ran = toolResultSent("call_exec")!;
      expect(ran).toMatch(/^exit code 0\n/);
      expect(ran).toMatch(/No such file or directory/); // ../.env is not there inside the sandbox
      expect(ran).toMatch(/Read-only file system/);
      expect(ran).not.toContain("AGENTD_TOKEN");
      expect(readFileSync(join(dir, "workspace", "tide.txt"), "utf8")).toBe("ebb\n");
      expect(existsSync(join(dir, "escape"))).toBe(false);

      const tools = (await (await daemon.api("/api/tools")).json()) as { tools: Array<{ name: string; offered: boolean; mode?: string }> };
      expect(tools.tools.find((t) => t.name === "exec")).toEqual({ name: "exec", offered: true, mode: "bwrap" });
      expect(await client.request("tools.list", {})).toEqual(tools); // the WebSocket twin
      const status = await runCli(["status", dir]);
      expect(status.stdout).toMatch(/^tools\s+web_fetch, exec \(sandbox: bwrap\)$/m);
    } finally {
      client.close();
    }
  });

  it("without bwrap on PATH exec is absent (sandbox: bwrap); web_fetch refuses loopback by default", async () => {
    const { dir } = await initAgent({ llmUrl: llm.url, edit: (cfg) => void (cfg.tools = { deny: [], exec: { enabled: true } }) });
    dirs.push(dir);
    const daemon = await startDaemon(dir, { env: { PATH: dirname(process.execPath) } });
    daemons.push(daemon);
    const client = await AgentdClient.connect({ url: daemon.url, token: daemon.token });
    try {
      llm.reset();
      llm.enqueue({ toolCalls: [{ id: "call_local", name: "web_fetch", arguments: JSON.stringify({ url: pageUrl }) }] }, { text: "I could not read it." });
      const events = await collect(await client.send("Read the tide page"));
      expect(events.at(-1)).toMatchObject({ event: "run.done", payload: { status: "ok" } });
      expect(toolNamesOffered()).toContain("web_fetch");
      expect(toolNamesOffered()).not.toContain("exec");
      expect(toolResultSent("call_local")).toMatch(/^Error: http:\/\/127\.0\.0\.1:\d+\/tides is refused: it is a private, loopback or link-local address/);

      const tools = (await (await daemon.api("/api/tools")).json()) as { tools: Array<{ name: string; offered: boolean; reason?: string }> };
      expect(tools.tools.find((t) => t.name === "exec")).toMatchObject({ offered: false, reason: expect.stringMatching(/bwrap\) is not on PATH/) });
      const status = await runCli(["status", dir]);
      expect(status.stdout).toMatch(/^tools\s+web_fetch; exec off: bubblewrap \(bwrap\) is not on PATH/m);

      // a config change applies without a restart: the file tools appear in GET /api/tools and in the next run
      const patch = await daemon.api("/api/config/tools", { method: "PATCH", body: JSON.stringify({ file_list: { enabled: true } }) });
      expect(patch.status).toBe(200);
      const after = (await (await daemon.api("/api/tools")).json()) as { tools: Array<{ name: string; offered: boolean }> };
      expect(after.tools.find((t) => t.name === "file_list")).toEqual({ name: "file_list", offered: true });
      llm.enqueue({ text: "ok" });
      await collect(await client.send("list your files"));
      expect(toolNamesOffered()).toContain("file_list");
    } finally {
      client.close();
    }
  });
});
