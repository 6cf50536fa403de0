import { describe, expect, it } from "vitest";
import { parse as parsePlist } from "plist";
import { launchdPlist, serviceName, systemdQuote, systemdUnit } from "./unit-files.js";

const spec = { dir: "/home/ann/agents/my agent", node: "/usr/local/bin/node", cli: "/usr/lib/node_modules/agentd/dist/bundle/src/cli/main.js", name: "agentd-my-agent-abc123", path: "/usr/local/bin:/usr/bin" };

describe("service files", () => {
  it("names a service after its folder, distinct for two folders of the same name", () => {
    expect(serviceName("/home/ann/agents/my agent")).toMatch(/^agentd-my-agent-[0-9a-f]{6}$/);
    expect(serviceName("/srv/a/bot")).not.toBe(serviceName("/srv/b/bot"));
    expect(serviceName("/srv/a/bot")).toBe(serviceName("/srv/a/bot"));
  });

  it("writes a systemd user unit that runs agentd start DIR, restarts on failure but not on a config error", () => {
    const unit = systemdUnit(spec);
    const line = (key: string) => unit.split("\n").filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));
    expect(line("ExecStart")).toEqual([`"/usr/local/bin/node" "/usr/lib/node_modules/agentd/dist/bundle/src/cli/main.js" "start" "/home/ann/agents/my agent"`]);
    expect(line("WorkingDirectory")).toEqual(["/home/ann/agents/my agent"]);
    expect(line("Restart")).toEqual(["on-failure"]);
    expect(line("RestartPreventExitStatus")).toEqual(["78"]);
    expect(line("KillSignal")).toEqual(["SIGTERM"]);
    expect(line("WantedBy")).toEqual(["default.target"]);
    expect(line("Environment")).toEqual([`"PATH=/usr/local/bin:/usr/bin" "MALLOC_ARENA_MAX=1" "MALLOC_MMAP_THRESHOLD_=131072" "MALLOC_TRIM_THRESHOLD_=131072"`]);
    expect(unit).toMatch(/^\[Unit\]$/m);
    expect(unit).toMatch(/^\[Service\]$/m);
    expect(unit).toMatch(/^\[Install\]$/m);
  });

  it("quotes ExecStart arguments as systemd reads them", () => {
    expect(systemdQuote('a "b" \\c')).toBe('"a \\"b\\" \\\\c"');
    expect(systemdQuote("100% $HOME")).toBe('"100%% $$HOME"');
  });

  it("writes a launchd agent that starts at login and again after a failure", () => {
    const p = parsePlist(launchdPlist(spec)) as Record<string, unknown>;
    expect(p).toMatchObject({
      Label: "dev.agentd.agentd-my-agent-abc123",
      ProgramArguments: [spec.node, spec.cli, "start", spec.dir],
      WorkingDirectory: spec.dir,
      RunAtLoad: true,
      KeepAlive: { SuccessfulExit: false },
      ThrottleInterval: 5,
      StandardErrorPath: `${spec.dir}/logs/launchd.err.log`,
    });
  });
});
