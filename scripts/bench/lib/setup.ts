/**
 * Shared set-up of the benchmarks: the scripted model server and the daemon as child processes (the daemon
 * through the real CLI, what the `agentd` bin loads), agent folders made with `agentd init`, and readings of
 * a process's memory from /proc. Run from the built tree (`dist/scripts/bench/…`).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, freemem, loadavg, totalmem, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { parseDocument } from "yaml";
import { PACKAGE_ROOT } from "../../../src/version.js";
import { nodeFloorMs, stopChild, timeStart } from "./measure.js";

/**
 * The `agentd` command as users run it: bin/agentd.cjs (Node version check, compile cache on), which loads the
 * built CLI, dist/bundle/src/cli/main.js. `BENCH_CLI` replaces it (another tree's bin/agentd.cjs, for a before/after).
 */
export const CLI = process.env.BENCH_CLI ? resolve(process.env.BENCH_CLI) : join(PACKAGE_ROOT, "bin", "agentd.cjs");
/**
 * The stack floor's server (lib/stack-floor-server.ts, built): Hono + better-sqlite3 answering `/api/health`, run
 * as `node STACK_FLOOR_SERVER start DIR` like the daemon, so the start and memory benches measure it the same way.
 */
export const STACK_FLOOR_SERVER = join(PACKAGE_ROOT, "dist", "scripts", "bench", "lib", "stack-floor-server.js");
/**
 * Its environment: what the `agentd` command gives the daemon, so the floor is the best these libraries do: Node's
 * compile cache on (`NODE_COMPILE_CACHE`, Node ≥ 22.1) and the glibc malloc settings of bin/agentd.cjs.
 */
export const STACK_FLOOR_ENV: NodeJS.ProcessEnv = {
  NODE_COMPILE_CACHE: join(tmpdir(), "agentd-bench-stack-floor-cache"),
  MALLOC_ARENA_MAX: "1", MALLOC_MMAP_THRESHOLD_: "131072", MALLOC_TRIM_THRESHOLD_: "131072",
};
/** The scripted model server's CLI (tests/support/fake-llm-cli.ts, built). */
export const FAKE_LLM_CLI = join(PACKAGE_ROOT, "dist", "tests", "support", "fake-llm-cli.js");

/** A number from the environment (`name`), or `fallback` when unset or not a positive number. */
export function envNumber(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

/** A child process with a way to stop it (SIGTERM, then wait). */
export interface Child {
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts the scripted model server as a child process (`fake-llm-cli.js [args]`) and resolves with its base
 * URL (`http://127.0.0.1:PORT/v1`) once it prints it. Flags: `--chunk-delay-ms N`, `--no-record`.
 */
export function startFakeLlmChild(args: string[] = []): Promise<Child & { url: string }> {
  const child = spawn(process.execPath, [FAKE_LLM_CLI, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`fake-llm exited with ${code}`)));
    const lines = createInterface({ input: child.stdout! });
    lines.once("line", (line) => {
      const { url } = JSON.parse(line) as { url: string };
      resolve({ url, child, stop: () => stopChild(child) });
    });
  });
}

/** An agent folder made with `agentd init` in a fresh temporary root. */
export interface BenchAgent {
  root: string;
  dir: string;
  token: string;
  /** Removes the temporary root. */
  remove(): void;
}

/**
 * The config edit of the turn benches (overhead, turn-paths) for {@link initBenchAgent}: the agent's time zone UTC
 * (the system prompt the direct call is built with says the same time) and the WebSocket frame rate limit raised, as
 * one client sends turns back to back, several hundred frames a second, above the default limit.
 */
export function turnBenchConfig(c: Record<string, any>): void {
  c.agent = { ...c.agent, timezone: "UTC" };
  c.server = { ...c.server, maxFramesPerSecond: 100_000, frameBurst: 100_000 };
}

/**
 * Creates an agent folder with the real `agentd init`, points its provider at `llmUrl` (no SDK retries), picks a
 * random preferred port, and lets `edit` change the parsed config before it is written back.
 */
export function initBenchAgent(llmUrl: string, edit?: (cfg: Record<string, any>) => void): BenchAgent {
  const root = mkdtempSync(join(tmpdir(), "agentd-bench-"));
  const dir = join(root, "agent");
  // this tree's `agentd init` even when BENCH_CLI points at another tree: the same folder for both
  execFileSync(process.execPath, [join(PACKAGE_ROOT, "bin", "agentd.cjs"), "init", dir], { stdio: "ignore" });
  const file = join(dir, "agentd.yaml");
  const doc = parseDocument(readFileSync(file, "utf8"));
  doc.setIn(["providers", "openai", "baseUrl"], llmUrl);
  doc.setIn(["providers", "openai", "maxRetries"], 0);
  doc.setIn(["server", "port"], 20_000 + Math.floor(Math.random() * 30_000));
  if (edit) {
    const cfg = doc.toJS() as Record<string, any>;
    edit(cfg);
    writeFileSync(file, parseDocument(JSON.stringify(cfg)).toString());
  } else writeFileSync(file, doc.toString());
  const token = /AGENTD_TOKEN=(\S+)/.exec(readFileSync(join(dir, ".env"), "utf8"))![1]!;
  return { root, dir, token, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** A daemon started through the CLI: its pid, port, URLs and token. */
export interface BenchDaemon extends Child {
  pid: number;
  port: number;
  url: string;
  wsUrl: string;
  token: string;
  /** Milliseconds from spawn to `.port` + `/api/health` 200. */
  startMs: number;
}

/**
 * Starts `agentd start DIR` (output discarded, so a full pipe never slows it) and waits until it answers.
 * `BENCH_DAEMON_ENV` (space-separated `NAME=value` words) adds to the daemon's environment, e.g.
 * `BENCH_DAEMON_ENV="MALLOC_ARENA_MAX=1"` to compare what the systemd unit sets.
 */
export async function startBenchDaemon(agent: BenchAgent, env: NodeJS.ProcessEnv = {}, cli: string = CLI): Promise<BenchDaemon> {
  const extra = Object.fromEntries((process.env.BENCH_DAEMON_ENV ?? "").split(/\s+/).filter((w) => w.includes("=")).map((w) => [w.slice(0, w.indexOf("=")), w.slice(w.indexOf("=") + 1)]));
  const { ms, child, port } = await timeStart(cli, agent.dir, { AGENTD_TOKEN: "", ...extra, ...env });
  return {
    child, pid: child.pid!, port, token: agent.token, startMs: ms,
    url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/ws`,
    stop: () => stopChild(child),
  };
}

/** Resident set size of a process in bytes (`/proc/PID/status` VmRSS): what `top` and users see. */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? 0) * 1024;
}

/**
 * The parts of a process's memory (`/proc/PID/smaps_rollup`), in bytes: `privateDirty` (heap and other memory
 * only this process has written: its real cost) and `sharedClean` (file pages such as the node binary's code,
 * shared with every other node process and counted in RSS).
 */
export function memoryParts(pid: number): { privateDirty: number; sharedClean: number; pss: number } {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? 0) * 1024;
  return { privateDirty: kb("Private_Dirty"), sharedClean: kb("Shared_Clean"), pss: kb("Pss") };
}

/** Scrapes `GET /metrics` and returns each unlabelled series' value (e.g. `nodejs_eventloop_lag_p99_seconds`). */
export async function scrapeMetrics(d: BenchDaemon): Promise<Map<string, number>> {
  const text = await (await fetch(`${d.url}/metrics`, { headers: { authorization: `Bearer ${d.token}` } })).text();
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*) (\S+)$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** One line naming the machine: CPU model, cores, RAM, node version, OS. */
export function machine(): string {
  const c = cpus();
  return `${c[0]?.model.trim() ?? "cpu"} × ${c.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM (${(freemem() / 2 ** 30).toFixed(1)} free), node ${process.version}, ${process.platform} ${process.arch}`;
}

/**
 * The header every benchmark run prints (issue 20): the machine, the floor of the runtime measured now (`node -e 0`
 * with the same binary, median of 5), the cores, the load average at the start (the machine may be shared) and
 * the command that ran the benchmark.
 */
export function benchHeader(): string {
  const [l1, l5, l15] = loadavg().map((x) => x.toFixed(2));
  const env = Object.entries(process.env).filter(([k]) => k.startsWith("BENCH_")).map(([k, v]) => `${k}=${v} `).join("");
  return [
    `machine: ${machine()}`,
    `floor: node -e 0 takes ${nodeFloorMs().toFixed(1)} ms (same binary, median of 5); ${cpus().length} cores; load average at start ${l1} / ${l5} / ${l15} (1 / 5 / 15 min)`,
    `command: ${env}node ${process.argv.slice(1).map((a) => a.replace(`${PACKAGE_ROOT}/`, "")).join(" ")}`,
  ].join("\n");
}

/** Formats bytes as MB (10^6) with one decimal. */
export const mb = (bytes: number): number => Math.round(bytes / 1e5) / 10;
