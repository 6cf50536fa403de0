import { execFile, spawn } from "node:child_process";
import { appendFileSync, existsSync, lstatSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, cleanup, tempDir, waitFor } from "./support/daemon.js";

const run = promisify(execFile);

/** Runs a command to completion; resolves with exit code and output whatever the code. */
async function sh(file: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd, timeout: 120_000, env: { ...process.env, TELEGRAM_BOT_TOKEN: "", npm_config_update_notifier: "false" } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

/**
 * The package as a user gets it: `npm pack` of this tree (already built: scripts off, so it does not rebuild under
 * other tests), installed into an empty project folder. Its `agentd` is npm's bin link, run through npx from that
 * folder, as README's users do.
 */
describe("issue 17, item 10: an installed agentd finds its bridges", () => {
  let project = "";
  beforeAll(async () => {
    project = tempDir("agentd-install-");
    const packed = await sh("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", project], ROOT);
    expect(packed.code, packed.stderr).toBe(0);
    const tgz = join(project, packed.stdout.trim().split("\n").pop()!);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "user-project", private: true }));
    const installed = await sh("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", tgz], project);
    expect(installed.code, installed.stderr).toBe(0);
  }, 120_000);
  afterAll(() => cleanup(project));

  it("`npx agentd bridge telegram DIR` starts the bridge, which stops on the missing bot token (exit 78)", async () => {
    expect(lstatSync(join(project, "node_modules", ".bin", "agentd")).isSymbolicLink()).toBe(true);
    const init = await sh("npx", ["--no", "agentd", "init", "./x"], project);
    expect(init.stderr).toBe("");
    expect(init.code).toBe(0);
    expect(existsSync(join(project, "x", "agentd.yaml"))).toBe(true);

    const bridge = await sh("npx", ["--no", "agentd", "bridge", "telegram", "./x"], project);
    expect(bridge.stderr).not.toMatch(/not built|is missing/);
    expect(bridge.stderr).toContain("telegram: no bot token: set channels.telegram.botToken");
    expect(bridge.code).toBe(78);
  });

  it("`npx agentd bridge whatsapp DIR` without the GPL bridge package says how to install it (exit 78: not restarted)", async () => {
    const init = await sh("npx", ["--no", "agentd", "init", "./wa"], project);
    expect(init.code, init.stderr).toBe(0);
    const bridge = await sh("npx", ["--no", "agentd", "bridge", "whatsapp", "./wa"], project);
    const version = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
    expect(bridge.stderr).toContain("the WhatsApp bridge is not installed");
    expect(bridge.stderr).toContain(`Install it with: cd ${realpathSync(project)} && npm install agentd-whatsapp@${version}`);
    expect(bridge.code).toBe(78);
    expect(existsSync(join(project, "node_modules", "@whiskeysockets"))).toBe(false);

    // the daemon's supervisor runs the same command for `channels.whatsapp.enabled`: its log says the same, once
    appendFileSync(join(project, "wa", "agentd.yaml"), "\nchannels:\n  whatsapp:\n    enabled: true\n");
    const daemon = spawn(join(project, "node_modules", ".bin", "agentd"), ["start", "./wa"], { cwd: project, env: { ...process.env, AGENTD_TOKEN: "" }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    daemon.stdout.on("data", (b: Buffer) => (output += b.toString()));
    daemon.stderr.on("data", (b: Buffer) => (output += b.toString()));
    try {
      await waitFor(() => output.includes("not restarting it"), "the supervisor giving up on the WhatsApp bridge", 60_000);
      expect(output).toContain(`npm install agentd-whatsapp@${version}`);
      expect(output).toMatch(/whatsapp bridge exited with code 78/);
    } finally {
      daemon.kill("SIGTERM");
      await new Promise((r) => daemon.once("exit", r));
    }
  }, 90_000);

  it("the installed bin answers --version from any folder", async () => {
    const bin = join(project, "node_modules", ".bin", "agentd");
    const r = await sh(bin, ["--version"], tempDir());
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
