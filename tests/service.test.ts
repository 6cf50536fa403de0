import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { startFakeLlm, type FakeLlm } from "./support/fake-llm.js";
import { cleanup, initAgent, runCli, tempDir, waitFor } from "./support/daemon.js";

// `agentd service install|status|uninstall DIR` (issue 19) on Linux: the systemd user unit's content, checked by
// systemd's own parser (`systemd-analyze verify`); where a systemd user manager answers, that the unit starts the
// agent. This container has no systemd as PID 1, so there the test checks that install says so and how to start it.

const tool = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: "utf8", timeout: 20_000 });
const systemdRuns = tool("systemctl", ["--user", "show-environment"]).status === 0;
const hasAnalyze = tool("systemd-analyze", ["--version"]).status === 0;

let llm: FakeLlm;
let home: string;
let dir: string;
beforeAll(async () => {
  llm = await startFakeLlm();
  ({ dir } = await initAgent({ llmUrl: llm.url }));
  home = tempDir("agentd-home-");
});
afterAll(async () => {
  await llm?.close();
  cleanup(home);
  cleanup(join(dir, ".."));
});

describe.runIf(process.platform === "linux")("agentd service on Linux", () => {
  const env = () => ({ HOME: home, XDG_CONFIG_HOME: "" });

  it("installs a systemd user unit that runs this agentd on the folder", async () => {
    const r = await runCli(["service", "install", dir, "--json"], { env: env() });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as { manager: string; name: string; file: string; started: boolean; note: string };
    expect(res.manager).toBe("systemd");
    expect(res.file).toBe(join(home, ".config", "systemd", "user", `${res.name}.service`));
    const unit = readFileSync(res.file, "utf8");
    const cli = join(process.cwd(), "dist", "bundle", "src", "cli", "main.js");
    expect(unit).toContain(`ExecStart="${process.execPath}" "${cli}" "start" "${dir}"`);
    expect(unit).toMatch(/^Restart=on-failure$/m);
    expect(unit).toMatch(/^RestartPreventExitStatus=78$/m);
    if (hasAnalyze) {
      // systemd's own parser: unknown keys, bad quoting or a command that is not executable are reported
      const v = tool("systemd-analyze", ["verify", res.file]);
      expect(v.stderr).toBe("");
      expect(v.status).toBe(0);
    }
    if (systemdRuns) {
      expect(res.started).toBe(true);
      await waitFor(() => existsSync(join(dir, ".port")), "the unit to start the agent", 20_000);
      const status = await runCli(["status", dir]);
      expect(status.code).toBe(0);
    } else {
      expect(res.started).toBe(false);
      expect(res.note).toMatch(/^no systemd user manager answers here .*systemctl --user daemon-reload && systemctl --user enable --now agentd-/);
    }
  });

  it("reports the unit's state, and uninstall removes it", async () => {
    const s = await runCli(["service", "status", dir], { env: env() });
    expect(s.code).toBe(0);
    expect(s.stdout).toMatch(systemdRuns ? /installed \(.*\), active/ : /installed \(.*\.service\), unknown \(no systemd user manager answers here\)/);
    const u = await runCli(["service", "uninstall", dir], { env: env() });
    expect(u.code).toBe(0);
    expect(u.stdout).toMatch(/^removed .*\.service$/m);
    expect(readdirSync(join(home, ".config", "systemd", "user"))).toEqual([]);
    if (systemdRuns) await waitFor(() => !existsSync(join(dir, ".port")), "the agent to stop", 20_000);
    const again = await runCli(["service", "status", dir], { env: env() });
    expect(again.code).toBe(3);
    expect(again.stdout).toMatch(/not installed/);
  });

  it("refuses a folder without an agent", async () => {
    const empty = tempDir();
    const r = await runCli(["service", "install", empty], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/holds no agentd\.yaml/);
    cleanup(empty);
    expect(execFileSync("ls", [home]).toString()).not.toContain("Library");
  });
});
