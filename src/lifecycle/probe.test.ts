import { describe, it, expect, afterAll } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LS_MAX_DEPTH, findAgents, probeAgent } from "./probe.js";
import { pidAlive } from "./lock.js";

const root = mkdtempSync(join(tmpdir(), "agentd-probe-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function agentDir(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "agentd.yaml"), "model: main\n");
  writeFileSync(join(dir, ".env"), "AGENTD_TOKEN=t\n");
  return dir;
}

/** A pid no process has: past Linux's maximum. */
const DEAD_PID = 4_194_305;

describe("findAgents", () => {
  it("finds the folder itself and its subfolders with agentd.yaml down to LS_MAX_DEPTH, skipping hidden ones", () => {
    const a = agentDir("find/a");
    const b = agentDir("find/b");
    agentDir("find/.hidden");
    agentDir("find/node_modules/x");
    const c = agentDir("find/deep/c");
    const d = agentDir("find/1/2/3/d");
    agentDir("find/1/2/3/4/e");
    agentDir("find/a/vault/inner"); // inside an agent folder: not searched
    mkdirSync(join(root, "find", "empty"));
    writeFileSync(join(root, "find", "empty", "agentd.yaml"), "name: __AGENT_NAME__\n"); // the template
    expect(findAgents([join(root, "find")])).toEqual([a, b, d, c].sort());
    expect(LS_MAX_DEPTH).toBe(4);
    expect(findAgents([join(root, "find")], 1)).toEqual([a, b]);
    expect(findAgents([a, a])).toEqual([a]);
    expect(findAgents([join(root, "missing")])).toEqual([]);
  });
});

describe("probeAgent", () => {
  it("tells stopped from crashed from starting, without changing anything", async () => {
    const dir = agentDir("states");
    expect((await probeAgent(dir)).state).toBe("stopped");
    writeFileSync(join(dir, ".agentd.lock"), `${process.pid}\n`);
    expect(await probeAgent(dir)).toMatchObject({ state: "starting", pid: process.pid });
    writeFileSync(join(dir, ".agentd.lock"), `${DEAD_PID}\n`);
    expect((await probeAgent(dir)).state).toBe("crashed");
    rmSync(join(dir, ".agentd.lock"));
    // a .port nobody answers on, left by a killed daemon
    const srv = createServer().listen(0, "127.0.0.1");
    await new Promise((r) => srv.once("listening", r));
    const port = (srv.address() as AddressInfo).port;
    await new Promise((r) => srv.close(r));
    writeFileSync(join(dir, ".port"), `${port}\n`);
    expect(await probeAgent(dir, { timeoutMs: 500 })).toMatchObject({ state: "crashed", port });
  });

  it("does not take another program on the port for this agent", async () => {
    const dir = agentDir("taken");
    const srv = createServer((req, res) => {
      res.setHeader("content-type", "application/json");
      if (req.url === "/api/health") res.end(JSON.stringify({ status: "ok", version: "9", uptimeMs: 1 }));
      else res.end(JSON.stringify({ dir: "/somewhere/else", pid: 1, name: "other", version: "9", model: "m", uptimeMs: 1 }));
    }).listen(0, "127.0.0.1");
    await new Promise((r) => srv.once("listening", r));
    const port = (srv.address() as AddressInfo).port;
    writeFileSync(join(dir, ".port"), `${port}\n`);
    try {
      const p = await probeAgent(dir);
      expect(p.state).toBe("crashed");
      expect(p.note).toContain("another process");
    } finally {
      await new Promise((r) => srv.close(r));
    }
  });

  it("knows live and dead pids", () => {
    expect(pidAlive(process.pid)).toBe(true);
    expect(pidAlive(DEAD_PID)).toBe(false);
  });
});
