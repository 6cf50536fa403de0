import { afterAll, describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, initAgent, runCli, startDaemon, tempDir, type RunningDaemon } from "./support/daemon.js";

const COUNT = 10;
const parent = tempDir("agentd-many-");
const daemons: RunningDaemon[] = [];

afterAll(async () => {
  await Promise.all(daemons.map((d) => d.kill()));
  cleanup(parent);
});

describe("several agents on one machine", () => {
  it("ten agents from the same preferred port get ten ports; ls shows them; stop stops each", async () => {
    const preferred = 21000 + Math.floor(Math.random() * 30000);
    const dirs = await Promise.all(
      Array.from({ length: COUNT }, (_, i) => initAgent({ llmUrl: "http://127.0.0.1:9/v1", port: preferred, dir: join(parent, `agent-${i}`) }).then((a) => a.dir)),
    );
    daemons.push(...(await Promise.all(dirs.map((dir) => startDaemon(dir, { timeoutMs: 30_000 })))));

    const ports = daemons.map((d) => d.port);
    expect(new Set(ports).size).toBe(COUNT);
    for (const d of daemons) {
      expect(Number.parseInt(readFileSync(join(d.dir, ".port"), "utf8"), 10)).toBe(d.port);
      expect(d.port).toBeGreaterThanOrEqual(preferred);
      expect(d.port).toBeLessThan(preferred + 100);
    }

    // ls: as JSON, and as the table a person reads
    const json = await runCli(["ls", parent, "--json"]);
    expect(json.code).toBe(0);
    const listed = JSON.parse(json.stdout) as Array<{ dir: string; state: string; port: number; pid: number }>;
    expect(listed.map((a) => a.dir).sort()).toEqual(daemons.map((d) => d.dir).sort());
    for (const d of daemons) expect(listed.find((a) => a.dir === d.dir)).toMatchObject({ state: "running", port: d.port, pid: d.child.pid });
    const table = await runCli(["ls"], { cwd: parent });
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^FOLDER\s+NAME\s+STATE\s+PORT\s+PID\s+UPTIME\s+MODEL$/);
    expect(lines).toHaveLength(COUNT + 1);
    for (const d of daemons) {
      const row = lines.find((l) => l.startsWith(`${d.dir.slice(parent.length + 1)} `));
      expect(row).toMatch(new RegExp(`\\srunning\\s+${d.port}\\s+${d.child.pid}\\s`));
    }

    // status of one
    const status = await runCli(["status", daemons[0]!.dir]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`^state\\s+running$`, "m"));
    expect(status.stdout).toMatch(new RegExp(`^port\\s+${daemons[0]!.port}$`, "m"));
    expect(status.stdout).toMatch(/^sessions\s+0$/m);
    expect(status.stdout).toMatch(/^model\s+main$/m);

    // stop each, concurrently
    const stops = await Promise.all(daemons.map((d) => runCli(["stop", d.dir])));
    for (const [i, r] of stops.entries()) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain("stopped");
      expect(existsSync(join(daemons[i]!.dir, ".port"))).toBe(false);
    }
    expect(await Promise.all(daemons.map((d) => d.stop()))).toEqual(Array(COUNT).fill(0));

    const after = await runCli(["status", daemons[0]!.dir]);
    expect(after.code).toBe(3);
    expect(after.stdout).toMatch(/^state\s+stopped$/m);
    const again = await runCli(["stop", daemons[0]!.dir]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("not running");
    const lsAfter = JSON.parse((await runCli(["ls", parent, "--json"])).stdout) as Array<{ state: string }>;
    expect(lsAfter.map((a) => a.state)).toEqual(Array(COUNT).fill("stopped"));
  }, 60_000);
});
