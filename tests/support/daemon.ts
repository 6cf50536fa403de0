import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, existsSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseDocument } from "yaml";

/** The repository root (tests run from it). */
export const ROOT = resolve(import.meta.dirname, "..", "..");
/** The built CLI: what the `agentd` bin (bin/agentd.cjs, after its Node version check) loads. */
export const CLI = join(ROOT, "dist", "bundle", "src", "cli", "main.js");

/**
 * The Node that runs the CLI and daemon in tests: this one, or `AGENTD_TEST_NODE` (a path) to run the daemon on
 * another version, e.g. the minimum of package.json's `engines` (the test runner itself needs a newer one).
 */
export const NODE = process.env.AGENTD_TEST_NODE || process.execPath;

/** Runs the real CLI to completion: `node CLI ...args`. Resolves with exit code and output. */
export function runCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn(NODE, [CLI, ...args], { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const t = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 20_000);
    child.on("error", rej);
    child.on("close", (code) => {
      clearTimeout(t);
      res({ code, stdout, stderr });
    });
  });
}

/** A fresh temporary folder for one test. */
export function tempDir(prefix = "agentd-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Creates an agent folder with the real `agentd init` and points its model at `llmUrl` (the scripted server).
 * `edit` may change the parsed config (a plain object) before it is written back.
 */
export async function initAgent(opts: { llmUrl: string; port?: number; edit?: (cfg: Record<string, any>) => void; dir?: string }): Promise<{ dir: string; token: string }> {
  const dir = opts.dir ?? join(tempDir(), "agent");
  const r = await runCli(["init", dir]);
  if (r.code !== 0) throw new Error(`agentd init failed: ${r.stderr}`);
  const file = join(dir, "agentd.yaml");
  const doc = parseDocument(readFileSync(file, "utf8"));
  doc.setIn(["providers", "openai", "baseUrl"], opts.llmUrl);
  doc.setIn(["providers", "openai", "maxRetries"], 0);
  doc.setIn(["server", "port"], opts.port ?? 20000 + Math.floor(Math.random() * 20000));
  if (opts.edit) {
    const cfg = doc.toJS() as Record<string, any>;
    opts.edit(cfg);
    writeFileSync(file, parseDocument(JSON.stringify(cfg)).toString());
  } else {
    writeFileSync(file, doc.toString());
  }
  const token = /AGENTD_TOKEN=(\S+)/.exec(readFileSync(join(dir, ".env"), "utf8"))![1]!;
  return { dir, token };
}

/** A daemon started through the real CLI as a child process. */
export interface RunningDaemon {
  dir: string;
  token: string;
  port: number;
  url: string;
  child: ChildProcess;
  output(): string;
  /** Authorized fetch against the daemon: `api("/api/sessions")`. */
  api(path: string, init?: RequestInit): Promise<Response>;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL (a crash) and wait for exit. */
  kill(): Promise<void>;
}

/** Waits until `check()` is truthy, polling every `intervalMs`; throws after `timeoutMs` with `what`. */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 10_000, intervalMs = 20): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Starts `agentd start DIR` as a child process and resolves once `.port` exists and health answers. */
export async function startDaemon(dir: string, opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunningDaemon> {
  const portFile = join(dir, ".port");
  const token = /AGENTD_TOKEN=(\S+)/.exec(readFileSync(join(dir, ".env"), "utf8"))?.[1] ?? "";
  const child = spawn(NODE, [CLI, "start", dir], { cwd: ROOT, env: { ...process.env, AGENTD_TOKEN: "", ...opts.env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  let exited = false;
  const exit = new Promise<number | null>((r) => child.on("exit", (code) => {
    exited = true;
    r(code);
  }));
  const port = await waitFor(async () => {
    if (exited) throw new Error(`daemon exited early:\n${out}`);
    if (!existsSync(portFile)) return 0;
    const p = Number.parseInt(readFileSync(portFile, "utf8"), 10);
    try {
      const r = await fetch(`http://127.0.0.1:${p}/api/health`);
      return r.ok ? p : 0;
    } catch {
      return 0;
    }
  }, `daemon in ${dir} to listen`, opts.timeoutMs ?? 15_000);
  const url = `http://127.0.0.1:${port}`;
  return {
    dir, token, port, url, child,
    output: () => out,
    api: (path, init = {}) => fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...(init.headers as Record<string, string> | undefined) } }),
    stop: async () => {
      if (!exited) child.kill("SIGTERM");
      return exit;
    },
    kill: async () => {
      if (!exited) child.kill("SIGKILL");
      await exit;
    },
  };
}

/** Removes a test folder (best effort). */
export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
