import { existsSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { request } from "node:http";
import { join, resolve } from "node:path";
import { parseDotenv } from "../../protocol/endpoint.js";
import { AgentdClient, ProtocolError } from "../../protocol/client.js";
import { LOCK_FILE, pidAlive } from "./lock.js";
import { PORT_FILE } from "./port-file.js";

/**
 * What an agent folder looks like from outside:
 * - `running`: `.port` is written and the daemon on it answers for this folder
 * - `starting`: the lock is held by a live process but `.port` is not written yet
 * - `unresponsive`: `.port` is written and the locking process lives, but `/api/health` does not answer
 * - `crashed`: `.port` or the lock is left behind by a process that is gone
 * - `stopped`: no daemon, nothing left behind
 */
export type AgentState = "running" | "starting" | "unresponsive" | "crashed" | "stopped";

/** The result of {@link probeAgent}. Fields other than `dir` and `state` are present when known. */
export interface AgentProbe {
  dir: string;
  state: AgentState;
  port?: number;
  pid?: number;
  name?: string;
  version?: string;
  model?: string;
  uptimeMs?: number;
  sessions?: number;
  mcp?: Array<{ name: string; state: string; tools: number; error?: string }>;
  /** The built-in tools of issue 13 (`GET /api/tools`): offered or why not, and exec's sandbox mode. */
  tools?: Array<{ name: string; offered: boolean; mode?: string; reason?: string }>;
  /** Why details are missing (e.g. the token was refused). */
  note?: string;
}

/** Name of the config file that marks an agent folder. */
export const CONFIG_FILE = "agentd.yaml";

function readInt(file: string): number | undefined {
  try {
    const n = Number.parseInt(readFileSync(file, "utf8").trim(), 10);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The pid in `DIR/.agentd.lock`, if any. */
export function lockPid(dir: string): number | undefined {
  return readInt(join(dir, LOCK_FILE));
}

/** The port in `DIR/.port`, if any. */
export function portOf(dir: string): number | undefined {
  const p = readInt(join(dir, PORT_FILE));
  return p !== undefined && p <= 65535 ? p : undefined;
}

/** The agent's token: `AGENTD_TOKEN` in `DIR/.env`, else in the environment. */
export function tokenOf(dir: string): string | undefined {
  try {
    const t = parseDotenv(readFileSync(join(dir, ".env"), "utf8")).AGENTD_TOKEN;
    if (t) return t;
  } catch {
    /* no .env */
  }
  return process.env.AGENTD_TOKEN || undefined;
}

/**
 * GET a JSON document from a local daemon without keep-alive (so a CLI exits at once). Resolves `{ status, body }`;
 * `status` 0 when nothing answered within `timeoutMs`.
 */
export function getJson(port: number, path: string, token: string | undefined, timeoutMs = 2000): Promise<{ status: number; body: any }> {
  return new Promise((done) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false, timeout: timeoutMs, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        done({ status: res.statusCode ?? 0, body });
      });
      res.on("error", () => done({ status: 0, body: undefined }));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => done({ status: 0, body: undefined }));
    req.end();
  });
}

/**
 * Runs the protocol handshake with the server on `port`: "ok" when it proved it holds `token` (and accepted
 * ours), else why not, in words for `agentd status`.
 */
async function daemonProves(port: number, token: string, timeoutMs: number): Promise<string> {
  const client = new AgentdClient({ url: `http://127.0.0.1:${port}`, token, reconnect: false, handshakeTimeoutMs: timeoutMs, clientName: "agentd-status" });
  try {
    await client.connect();
    return "ok";
  } catch (err) {
    if (err instanceof ProtocolError && err.code === "unauthorized") return "the token in .env was refused";
    if (err instanceof ProtocolError && err.details?.reason === "server_unverified") return `the server on port ${port} could not prove it is this agent's daemon`;
    return `no agent details (${err instanceof Error ? err.message : String(err)})`;
  } finally {
    client.close();
  }
}

const same = (a: string, b: string) => {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return resolve(a) === resolve(b);
  }
};

/**
 * Finds out whether the agent of `dirArg` runs, from its `.port`, its lock (pid) and the daemon itself
 * (`/api/health`, then `/api/agent-info` with the token of its `.env`, checked to be this folder's daemon and
 * not another one that took the port). With `details`, also counts sessions, lists MCP servers and the built-in
 * tools of issue 13 (`GET /api/tools`).
 * Never throws; makes no change.
 */
export async function probeAgent(dirArg: string, opts: { details?: boolean; timeoutMs?: number } = {}): Promise<AgentProbe> {
  const dir = resolve(dirArg);
  const port = portOf(dir);
  const pid = lockPid(dir);
  const alive = pid !== undefined && pidAlive(pid);
  const base: AgentProbe = { dir, state: "stopped", ...(port ? { port } : {}), ...(pid && alive ? { pid } : {}) };
  if (!port) return { ...base, state: alive ? "starting" : pid ? "crashed" : "stopped" };
  const health = await getJson(port, "/api/health", undefined, opts.timeoutMs);
  if (health.status !== 200) return { ...base, state: alive ? "unresponsive" : "crashed" };
  const token = tokenOf(dir);
  // the token goes over REST only to a server that proved, in the WebSocket handshake, that it holds it
  const proof = token ? await daemonProves(port, token, opts.timeoutMs ?? 2000) : "no token in .env";
  if (proof !== "ok") {
    if (!alive) return { ...base, state: "crashed", note: `port ${port} is answered by another process` };
    return { ...base, state: "running", version: health.body?.version, uptimeMs: health.body?.uptimeMs, note: proof };
  }
  const info = await getJson(port, "/api/agent-info", token, opts.timeoutMs);
  const b = info.body as { dir?: string; pid?: number; name?: string; version?: string; model?: string; uptimeMs?: number } | undefined;
  if (info.status !== 200 || !b?.dir || !same(b.dir, dir)) {
    // something answers on the port: this agent if its process lives, else another program took the port
    if (!alive) return { ...base, state: "crashed", note: `port ${port} is answered by another process` };
    return { ...base, state: "running", version: health.body?.version, uptimeMs: health.body?.uptimeMs, note: info.status === 401 ? "the token in .env was refused" : "no agent details" };
  }
  const out: AgentProbe = { ...base, state: "running", pid: b.pid ?? pid!, name: b.name!, version: b.version!, model: b.model!, uptimeMs: b.uptimeMs! };
  if (opts.details) {
    const [sessions, mcp, tools] = await Promise.all([getJson(port, "/api/sessions?limit=1000", token, opts.timeoutMs), getJson(port, "/api/mcp", token, opts.timeoutMs), getJson(port, "/api/tools", token, opts.timeoutMs)]);
    if (tools.status === 200 && Array.isArray(tools.body?.tools)) out.tools = tools.body.tools;
    if (sessions.status === 200 && Array.isArray(sessions.body?.sessions)) out.sessions = sessions.body.sessions.length;
    if (mcp.status === 200 && Array.isArray(mcp.body?.servers)) {
      out.mcp = (mcp.body.servers as Array<{ name: string; state: string; tools?: unknown[]; lastError?: string }>).map((s) => ({
        name: s.name, state: s.state, tools: Array.isArray(s.tools) ? s.tools.length : 0, ...(s.lastError ? { error: s.lastError } : {}),
      }));
    }
  }
  return out;
}

/** How many levels below each given folder `agentd ls` looks for agents (the folder itself is level 0). */
export const LS_MAX_DEPTH = 4;

/** Folders `agentd ls` never enters besides hidden ones (`.git`, `.cache`…): installed dependencies. */
const SKIPPED_FOLDERS = new Set(["node_modules"]);

/** The placeholder name of agent-template/agentd.yaml: a folder whose config still has it is the template, not an agent. */
const TEMPLATE_NAME = "__AGENT_NAME__";

/** True when `dir` holds an agent: an `agentd.yaml` that is not the package's template (agent-template/). */
function isAgentFolder(dir: string): boolean {
  const file = join(dir, CONFIG_FILE);
  if (!existsSync(file)) return false;
  try {
    return !readFileSync(file, "utf8").includes(`name: ${TEMPLATE_NAME}`);
  } catch {
    return true; // unreadable: still an agent folder, probeAgent says what is wrong with it
  }
}

/**
 * The agent folders under `roots`: each root that holds an `agentd.yaml`, and each subfolder down to
 * {@link LS_MAX_DEPTH} levels that does. Hidden folders, node_modules, symlinks and the inside of an agent folder
 * are not searched; agent-template/ (its config still names `__AGENT_NAME__`) is not an agent. Absolute paths,
 * sorted, without repeats.
 */
export function findAgents(roots: string[], maxDepth = LS_MAX_DEPTH): string[] {
  const found = new Set<string>();
  const walk = (dir: string, depth: number): void => {
    if (isAgentFolder(dir)) {
      found.add(dir);
      return;
    }
    if (depth >= maxDepth) return;
    let entries: import("node:fs").Dirent[] = [];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory() || e.name.startsWith(".") || SKIPPED_FOLDERS.has(e.name)) continue;
      walk(join(dir, e.name), depth + 1);
    }
  };
  for (const r of roots) walk(resolve(r), 0);
  return [...found].sort();
}
