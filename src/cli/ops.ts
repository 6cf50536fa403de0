import { existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { PORT_FILE } from "../lifecycle/port-file.js";
import { findAgents, lockPid, probeAgent, type AgentProbe, type AgentState } from "../lifecycle/probe.js";
import { pidAlive } from "../lifecycle/lock.js";

/**
 * Exit codes of `agentd status`, as LSB init scripts and `systemctl status` use them: 0 running, 1 dead but
 * files left behind (crashed), 3 not running, 4 unknown (starting or not answering).
 */
export const STATUS_EXIT: Record<AgentState, number> = { running: 0, crashed: 1, stopped: 3, starting: 4, unresponsive: 4 };

/** How long `agentd stop` waits for the daemon to remove `.port` and exit, in ms. */
export const STOP_WAIT_MS = 10_000;

/** `1h 02m`, `3m 04s`, `12s` from milliseconds. */
export function formatUptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, "0");
  if (d > 0) return `${d}d ${pad(h)}h`;
  if (h > 0) return `${h}h ${pad(m)}m`;
  if (m > 0) return `${m}m ${pad(s % 60)}s`;
  return `${s}s`;
}

const write = (text: string) => process.stdout.write(text);

/**
 * `agentd status [DIR]` (default: the current folder): state, port, pid, uptime, version, model, session count,
 * MCP servers and built-in tools (exec's sandbox mode) of one agent, as aligned lines or one JSON object with `--json`. Returns the exit code
 * ({@link STATUS_EXIT}); never changes anything.
 */
export async function statusCommand(dir: string, opts: { json?: boolean } = {}): Promise<number> {
  const p = await probeAgent(dir, { details: true });
  if (opts.json) {
    write(`${JSON.stringify(p)}\n`);
    return STATUS_EXIT[p.state];
  }
  const rows: Array<[string, string | undefined]> = [
    ["agent", p.name],
    ["folder", p.dir],
    ["state", p.state],
    ["port", p.port !== undefined ? String(p.port) : undefined],
    ["pid", p.pid !== undefined ? String(p.pid) : undefined],
    ["uptime", p.uptimeMs !== undefined ? formatUptime(p.uptimeMs) : undefined],
    ["version", p.version],
    ["model", p.model],
    ["sessions", p.sessions !== undefined ? String(p.sessions) : undefined],
    ["mcp", p.mcp ? (p.mcp.length ? p.mcp.map((s) => `${s.name} (${s.state}, ${s.tools} tools${s.error && s.state !== "connected" ? `: ${s.error}` : ""})`).join("; ") : "none") : undefined],
    ["tools", p.tools ? toolsLine(p.tools) : undefined],
    ["note", p.note],
  ];
  for (const [k, v] of rows) if (v !== undefined) write(`${k.padEnd(9)}${v}\n`);
  return STATUS_EXIT[p.state];
}

/**
 * The `tools` line of `agentd status`: the built-in tools offered, `exec` with its sandbox mode, e.g.
 * `web_fetch, exec (sandbox: bwrap), file_read`; an exec that is enabled but not offered says why.
 */
export function toolsLine(tools: NonNullable<AgentProbe["tools"]>): string {
  const on = tools.filter((t) => t.offered).map((t) => (t.name === "exec" ? `exec (sandbox: ${t.mode === "none" ? "none, UNSANDBOXED" : t.mode})` : t.name));
  const exec = tools.find((t) => t.name === "exec" && !t.offered && t.reason && !/enabled is false/.test(t.reason));
  return [on.length ? on.join(", ") : "no built-in web/exec/file tools", ...(exec ? [`exec off: ${exec.reason}`] : [])].join("; ");
}

/** Formats rows as a left-aligned text table with a header. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}

/**
 * `agentd ls [DIR…]`: the agents in the given folders (default: the current one) and their subfolders (down to
 * `LS_MAX_DEPTH` levels; hidden folders and node_modules skipped, see `findAgents`),
 * probed concurrently, as a table (FOLDER, NAME, STATE, PORT, PID, UPTIME, MODEL) or a JSON array with
 * `--json`. Folders are shown relative to the current folder. Returns 0 (also when none is found).
 */
export async function lsCommand(roots: string[], opts: { json?: boolean } = {}): Promise<number> {
  const dirs = findAgents(roots.length ? roots : ["."]);
  const probes: AgentProbe[] = await Promise.all(dirs.map((d) => probeAgent(d)));
  if (opts.json) {
    write(`${JSON.stringify(probes)}\n`);
    return 0;
  }
  if (probes.length === 0) {
    process.stderr.write(`no agent folders (with agentd.yaml) in ${(roots.length ? roots : ["."]).join(", ")}\n`);
    return 0;
  }
  const rows = probes.map((p) => [
    relative(process.cwd(), p.dir) || ".", p.name ?? "-", p.state, p.port !== undefined && p.state !== "stopped" ? String(p.port) : "-",
    p.pid !== undefined ? String(p.pid) : "-", p.uptimeMs !== undefined ? formatUptime(p.uptimeMs) : "-", p.model ?? "-",
  ]);
  write(table(["FOLDER", "NAME", "STATE", "PORT", "PID", "UPTIME", "MODEL"], rows));
  return 0;
}

/**
 * `agentd stop DIR`: sends SIGTERM to the folder's daemon (its pid from `/api/agent-info`, else from
 * `DIR/.agentd.lock` while it starts or hangs; a lock left by a crash is never signalled) and waits up to
 * {@link STOP_WAIT_MS} until `.port` is gone and the lock is released (or the process is gone). A folder with
 * no live daemon is already stopped: exit 0. Returns 1 when the daemon is still there after the wait.
 */
export async function stopCommand(dirArg: string, opts: { waitMs?: number } = {}): Promise<number> {
  const dir = resolve(dirArg);
  // the daemon's own pid when it answers, else the lock's (starting, hung); a stale lock is never signalled
  const probe = await probeAgent(dir);
  const pid = probe.state === "crashed" || probe.state === "stopped" ? undefined : (probe.pid ?? lockPid(dir));
  if (pid === undefined || !pidAlive(pid)) {
    write(`${dir}: not running\n`);
    return 0;
  }
  try {
    process.kill(pid, "SIGTERM");
  } catch (err) {
    process.stderr.write(`agentd: cannot signal pid ${pid}: ${(err as Error).message}\n`);
    return 1;
  }
  const deadline = Date.now() + (opts.waitMs ?? STOP_WAIT_MS);
  const gone = () => !existsSync(join(dir, PORT_FILE)) && (lockPid(dir) !== pid || !pidAlive(pid));
  while (!gone()) {
    if (Date.now() > deadline) {
      process.stderr.write(`agentd: ${dir} is still running after ${Math.round((opts.waitMs ?? STOP_WAIT_MS) / 1000)} s (pid ${pid}); kill -9 ${pid} forces it\n`);
      return 1;
    }
    await sleep(50);
  }
  write(`${dir}: stopped (pid ${pid})\n`);
  return 0;
}
