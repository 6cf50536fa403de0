import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { lstatSync, readdirSync, readlinkSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startFakeLlm, type FakeLlm } from "./support/fake-llm.js";
import { ROOT, cleanup, initAgent, runCli, startDaemon, waitFor } from "./support/daemon.js";

// Logs (issue 19): rotation keeps logs/ under logging.maxFiles × logging.maxFileBytes (50 MiB by default)
// after 200 MB of lines written through the daemon's logger; `agentd logs` pretty-prints, filters and follows.

const WRITER = join(ROOT, "dist", "tests", "support", "log-writer.js");
/** Bytes of the regular files in `dir`; a file that rotation removes (or relinks) between readdir and stat counts 0. */
const folderBytes = (dir: string) => readdirSync(dir).reduce((sum, n) => {
  try {
    return sum + (lstatSync(join(dir, n)).isFile() ? statSync(join(dir, n)).size : 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return sum;
    throw err;
  }
}, 0);

let llm: FakeLlm;
beforeAll(async () => {
  llm = await startFakeLlm();
});
afterAll(async () => {
  await llm?.close();
});

describe("log rotation", () => {
  it("keeps logs/ under its bound while 200 MB of lines are written", async () => {
    const { dir } = await initAgent({ llmUrl: llm.url });
    const logs = join(dir, "logs");
    const bound = 5 * 10 * 1024 * 1024; // defaults: 5 files (the current one included), 10 MiB each
    try {
      const { mkdirSync } = await import("node:fs");
      mkdirSync(logs, { recursive: true });
      // a log file left by an agentd without rotation is taken into the rotation, not kept forever
      writeFileSync(join(logs, "agentd.log"), "{\"level\":30,\"time\":1,\"msg\":\"from an old agentd\"}\n".repeat(1000));
      const child = spawn(process.execPath, [WRITER, dir, String(200 * 1024 * 1024)], { stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      child.stdout.on("data", (c) => (out += c));
      let peak = 0;
      const exited = new Promise<number | null>((r) => child.on("exit", r));
      let done = false;
      void exited.then(() => (done = true));
      while (!done) {
        peak = Math.max(peak, folderBytes(logs));
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await exited).toBe(0);
      const figures = JSON.parse(out) as { lines: number; bytes: number; ms: number };
      expect(figures.bytes).toBeGreaterThanOrEqual(200 * 1024 * 1024);
      // old files are deleted asynchronously after the last rotation: wait for the folder to settle
      await waitFor(() => readdirSync(logs).filter((n) => /^agentd\.\d+\.log$/.test(n)).length <= 5, "the oldest files to be removed");
      const final = folderBytes(logs);
      expect(final).toBeLessThanOrEqual(bound);
      // measured while writing: the oldest file is deleted asynchronously after a rotation (pino-roll), so on a busy
      // machine the folder can briefly hold one file more than the bound, never more
      expect(peak).toBeLessThanOrEqual(bound + 10 * 1024 * 1024);
      const files = readdirSync(logs).filter((n) => /^agentd\.\d+\.log$/.test(n)).sort((a, b) => Number(a.split(".")[1]) - Number(b.split(".")[1]));
      expect(files).toHaveLength(5);
      expect(files).not.toContain("agentd.0.log");
      // agentd.log names the newest file
      expect(readlinkSync(join(logs, "agentd.log"))).toBe(files.at(-1));
      process.stdout.write(`log rotation: ${figures.lines} lines, ${Math.round(figures.bytes / 1048576)} MiB in ${figures.ms} ms; logs/ peak ${(peak / 1048576).toFixed(1)} MiB, final ${(final / 1048576).toFixed(1)} MiB (bound ${bound / 1048576} MiB)\n`);
    } finally {
      cleanup(join(dir, ".."));
    }
  });
});

describe("agentd logs", () => {
  it("pretty-prints, filters by level and time, and follows new lines", async () => {
    const { dir } = await initAgent({ llmUrl: llm.url, edit: (cfg) => (cfg.models.main.model = "test-model") });
    const d = await startDaemon(dir);
    try {
      // a warn line: a chat turn with a model that fails
      llm.enqueue({ status: 500 });
      await d.api("/api/chat", { method: "POST", body: JSON.stringify({ text: "hello" }) });
      const all = await runCli(["logs", dir]);
      expect(all.code).toBe(0);
      expect(all.stdout).toMatch(/^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}\] INFO: agent \S+ listening on http:\/\/127\.0\.0\.1:\d+/m);
      const warn = await runCli(["logs", dir, "--level", "warn"]);
      expect(warn.stdout).not.toMatch(/INFO:/);
      expect(warn.stdout).toMatch(/(WARN|ERROR):/);
      const future = await runCli(["logs", dir, "--since", new Date(Date.now() + 60_000).toISOString()]);
      expect(future.stdout).toBe("");
      const recent = await runCli(["logs", dir, "--since", "1h", "--json"]);
      expect(recent.stdout.trim().split("\n").every((l) => typeof (JSON.parse(l) as { time: number }).time === "number")).toBe(true);
      const bad = await runCli(["logs", dir, "--level", "loud"]);
      expect(bad.code).toBe(64);
      expect(bad.stderr).toMatch(/--level: "loud" is not one of trace, debug, info, warn, error, fatal/);

      const follow = spawn(process.execPath, [join(ROOT, "dist", "bundle", "src", "cli", "main.js"), "logs", dir, "-f", "--since", "1s"], { stdio: ["ignore", "pipe", "pipe"] });
      let followed = "";
      follow.stdout.on("data", (c) => (followed += c));
      try {
        await new Promise((r) => setTimeout(r, 600));
        await d.api("/api/restart", { method: "POST" });
        await waitFor(() => /INFO: stopping[\s\S]*listening on/.test(followed), "the followed log to show the restart", 15_000);
      } finally {
        follow.kill("SIGTERM");
      }
    } finally {
      await d.stop();
      cleanup(join(dir, ".."));
    }
  });
});
