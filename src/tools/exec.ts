import { spawn } from "node:child_process";
import { posix } from "node:path";
import { z } from "zod";
import { defineTool, type Tool } from "../agent/tools/tool.js";
import { AgentdError } from "../errors.js";
import type { ExecConfig } from "../config/sections/tools.js";
import { resolveInWorkspace, workspaceRelative } from "./workspace.js";
import { SANDBOX_WORKSPACE, bwrapArgs, scrubbedEnv, type ExecMode } from "./sandbox.js";

/** What one command did: exit code (null when killed), the signal, whether the timeout killed it, and its output. */
export interface ExecResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  output: string;
  truncatedBytes: number;
}

/**
 * Runs `command` with `/bin/sh -c` in `cwd` (workspace-relative) under `mode` (bubblewrap, or on the host for
 * `none`), in its own process group: on timeout (`cfg.timeoutMs`) or `signal` the whole group gets SIGKILL.
 * stdout and stderr are collected together up to `cfg.maxOutputBytes`. Throws PathEscapeError for a bad `cwd`,
 * AgentdError `aborted` when `signal` aborts, `unavailable` when the sandbox cannot start.
 */
export async function runCommand(opts: { root: string; mode: Exclude<ExecMode, { mode: "off" }>; cfg: ExecConfig; command: string; cwd?: string | undefined; signal: AbortSignal }): Promise<ExecResult> {
  const hostCwd = await resolveInWorkspace(opts.root, opts.cwd ?? "");
  const rel = workspaceRelative(opts.root, hostCwd);
  const sandboxed = opts.mode.mode === "bwrap";
  const env = scrubbedEnv(sandboxed ? SANDBOX_WORKSPACE : opts.root, opts.cfg.env);
  const child = opts.mode.mode === "bwrap"
    ? spawn(opts.mode.bwrap, bwrapArgs({ workspace: opts.root, cwd: rel === "." ? SANDBOX_WORKSPACE : posix.join(SANDBOX_WORKSPACE, rel), network: opts.cfg.network, env, command: opts.command }), { detached: true, stdio: ["ignore", "pipe", "pipe"], env: {} })
    : spawn("/bin/sh", ["-c", opts.command], { cwd: hostCwd, detached: true, stdio: ["ignore", "pipe", "pipe"], env });
  const chunks: Buffer[] = [];
  let kept = 0;
  let dropped = 0;
  const take = (c: Buffer) => {
    const room = opts.cfg.maxOutputBytes - kept;
    if (room > 0) chunks.push(c.subarray(0, room));
    kept += Math.min(room > 0 ? room : 0, c.length);
    dropped += Math.max(0, c.length - Math.max(room, 0));
  };
  child.stdout.on("data", take);
  child.stderr.on("data", take);
  let timedOut = false;
  const killGroup = () => {
    try {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, opts.cfg.timeoutMs);
  const onAbort = () => killGroup();
  opts.signal.addEventListener("abort", onAbort, { once: true });
  try {
    const [exitCode, signal] = await new Promise<[number | null, string | null]>((resolve, reject) => {
      child.once("error", (err) => reject(new AgentdError("unavailable", `could not start the command: ${err.message}`)));
      child.once("close", (code, sig) => resolve([code, sig]));
    });
    if (opts.signal.aborted && !timedOut) throw new AgentdError("aborted", "aborted");
    return { exitCode, signal, timedOut, output: Buffer.concat(chunks).toString("utf8"), truncatedBytes: dropped };
  } finally {
    clearTimeout(timer);
    opts.signal.removeEventListener("abort", onAbort);
    killGroup(); // anything the command left running in its group goes with it
  }
}

/**
 * The `exec {command, cwd?}` tool (issue 13). `mode()` is decided by the caller (see `execMode`); this tool is
 * only offered when it is not `off`. The description names the mode, so the model (and a user reading the tool
 * list) knows whether commands are sandboxed. The answer: `exit code N` (or `killed: timed out after N ms`), then
 * the output.
 */
export function execTool(opts: { root: string; mode: Exclude<ExecMode, { mode: "off" }>; config: () => ExecConfig }): Tool {
  const cfg0 = opts.config();
  const where = opts.mode.mode === "bwrap"
    ? `inside a bubblewrap sandbox (workspace at ${SANDBOX_WORKSPACE} is the only writable folder; network ${cfg0.network ? "allowed" : "off"})`
    : "on the host WITHOUT a sandbox (sandbox: none)";
  return defineTool({
    name: "exec",
    description: `Run a shell command in your workspace, ${where}. Timeout ${cfg0.timeoutMs} ms. cwd is relative to the workspace.`,
    input: z.strictObject({ command: z.string().min(1).max(100_000), cwd: z.string().max(4096).optional() }),
    async run({ command, cwd }, ctx) {
      const cfg = opts.config();
      const r = await runCommand({ root: opts.root, mode: opts.mode, cfg, command, cwd, signal: ctx.signal });
      const head = r.timedOut ? `killed: timed out after ${cfg.timeoutMs} ms` : r.exitCode === null ? `killed by ${r.signal}` : `exit code ${r.exitCode}`;
      const tail = r.truncatedBytes ? `\n[… output cut: ${r.truncatedBytes} more bytes (tools.exec.maxOutputBytes)]` : "";
      return `${head}\n${r.output}${tail}`;
    },
  });
}
