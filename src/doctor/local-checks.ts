import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync, statfsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import semver from "semver";
import { parseDotenv } from "../../protocol/endpoint.js";
import { ConfigError } from "../errors.js";
import { loadConfig } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { probeAgent, type AgentProbe } from "../lifecycle/probe.js";
import { quickCheck } from "../store/snapshot.js";
import { PACKAGE_ROOT } from "../version.js";
import { result, type CheckResult } from "./types.js";

/** Below this much free space on the agent folder's file system, the disk check fails (bytes; 500 MiB). */
export const MIN_FREE_DISK_BYTES = 500 * 1024 * 1024;

/** Node's version against `engines.node` of agentd's package.json (checked with `semver`). */
export function checkNode(version = process.version): CheckResult {
  let range = ">=22";
  try {
    range = (JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { engines?: { node?: string } }).engines?.node ?? range;
  } catch {
    /* keep the default */
  }
  return semver.satisfies(version, range)
    ? result("node", "Node.js", "ok", `${version} (agentd needs ${range})`)
    : result("node", "Node.js", "fail", `${version} is too old (agentd needs ${range})`, `install Node.js ${range.replace(/^>=/, "")} or newer (https://nodejs.org, or nvm install 24)`);
}

/** Loads and validates agentd.yaml (with .env) the way `agentd start` does. Returns the config when valid. */
export function checkConfig(dir: string, env: NodeJS.ProcessEnv): { check: CheckResult; config?: Config } {
  if (!existsSync(join(dir, "agentd.yaml"))) {
    return { check: result("config", "config", "fail", `${join(dir, "agentd.yaml")} is missing`, `create the agent with: agentd init ${dir}`) };
  }
  try {
    const config = loadConfig(dir, env);
    return { check: result("config", "config", "ok", "agentd.yaml is valid"), config };
  } catch (err) {
    if (err instanceof ConfigError) {
      return { check: result("config", "config", "fail", `${err.keyPath || "(root)"}: ${err.reason}`, `edit ${err.file}${err.keyPath && !err.keyPath.startsWith("line") ? ` at ${err.keyPath}` : ""} (every key is commented in the file agentd init writes)`) };
    }
    return { check: result("config", "config", "fail", (err as Error).message, `fix ${join(dir, "agentd.yaml")}`) };
  }
}

/** `AGENTD_TOKEN` in `.env` (or the environment) and `.env`'s mode: readable by its owner only (0600). */
export function checkToken(dir: string, env: NodeJS.ProcessEnv): CheckResult {
  const file = join(dir, ".env");
  const inFile = existsSync(file) ? !!parseDotenv(readFileSync(file, "utf8")).AGENTD_TOKEN : false;
  if (!inFile && !env.AGENTD_TOKEN) {
    return result("token", "token", "fail", `no AGENTD_TOKEN in ${file}`, `run agentd start once (on 127.0.0.1 it writes a token to .env), or add AGENTD_TOKEN=<random, 32+ characters> to ${file}`);
  }
  if (existsSync(file) && process.platform !== "win32") {
    const mode = statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      return result("token", "token", "fail", `${file} is readable by others (mode ${mode.toString(8).padStart(4, "0")})`, `chmod 600 ${file}`);
    }
  }
  return result("token", "token", "ok", inFile ? ".env holds AGENTD_TOKEN, mode 0600" : "AGENTD_TOKEN comes from the environment");
}

/** True when `port` can be bound on `host` now. */
export function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((done) => {
    const srv = createServer();
    srv.once("error", () => done(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => done(true)));
  });
}

/** The daemon runs on the folder (answering on its `.port`), or the configured port is free for `agentd start`. */
export async function checkPort(dir: string, config: Config | undefined): Promise<{ check: CheckResult; probe: AgentProbe }> {
  const probe = await probeAgent(dir);
  const title = "port";
  if (probe.state === "running") return { check: result("port", title, "ok", `the agent is running on port ${probe.port} (pid ${probe.pid ?? "?"})`), probe };
  if (probe.state === "starting") return { check: result("port", title, "ok", `the agent is starting (pid ${probe.pid ?? "?"})`), probe };
  if (probe.state === "unresponsive") {
    return { check: result("port", title, "fail", `the daemon (pid ${probe.pid ?? "?"}) holds port ${probe.port} but does not answer`, `look at agentd logs ${dir} --level warn; then agentd stop ${dir} (or kill ${probe.pid ?? "<pid>"}) and start it again`), probe };
  }
  if (!config) return { check: result("port", title, "skip", "not checked: the config is not valid"), probe };
  const { port, host } = config.server;
  const stale = probe.state === "crashed" ? ` (files left by a daemon that stopped without cleaning up: agentd start removes them)` : "";
  if (await portFree(port, host)) return { check: result("port", title, "ok", `the agent is not running; port ${port} on ${host} is free${stale}`), probe };
  let free: number | undefined;
  for (let p = port + 1; p <= Math.min(65535, port + 99) && free === undefined; p++) if (await portFree(p, host)) free = p;
  return {
    check: result("port", title, "fail", `port ${port} on ${host} is used by another program${stale}`, `set server.port in agentd.yaml to a free port${free ? ` (${free} is free)` : ""}, or stop the program using ${port} (ss -ltnp 'sport = :${port}' shows it)`),
    probe,
  };
}

/** Free space on the agent folder's file system (statfs), against {@link MIN_FREE_DISK_BYTES}. */
export function checkDisk(dir: string, minFreeBytes = MIN_FREE_DISK_BYTES): CheckResult {
  try {
    const s = statfsSync(dir);
    const free = s.bavail * s.bsize;
    const mib = (n: number) => `${Math.round(n / 1024 / 1024).toLocaleString("en-US")} MiB`;
    return free >= minFreeBytes
      ? result("disk", "disk space", "ok", `${mib(free)} free`)
      : result("disk", "disk space", "fail", `only ${mib(free)} free (SQLite and the logs need room to write)`, `free space on the disk of ${dir} (old backups, logs: the log folder stays under logging.maxFiles × logging.maxFileBytes)`);
  } catch (err) {
    return result("disk", "disk space", "skip", `cannot read the free space: ${(err as Error).message}`);
  }
}

/** `PRAGMA quick_check` on agentd.db (read-only; works while the daemon runs). */
export function checkDatabase(dir: string): CheckResult {
  const file = join(dir, "agentd.db");
  if (!existsSync(file)) return result("database", "database", "ok", "agentd.db does not exist yet (the first start creates it)");
  const check = quickCheck(file);
  return check === "ok"
    ? result("database", "database", "ok", "agentd.db passes PRAGMA quick_check")
    : result("database", "database", "fail", `agentd.db fails PRAGMA quick_check: ${check}`, `stop the agent and restore the newest backup (agentd restore FILE ${dir} --force), or recover with sqlite3 agentd.db ".recover" | sqlite3 fixed.db`);
}

/** Whether `bwrap` (bubblewrap, the exec tool's sandbox) is on PATH. Never fails: no tool needs it yet. */
export function checkSandbox(): CheckResult {
  try {
    const out = execFileSync("bwrap", ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 5000 }).trim();
    return result("sandbox", "sandbox", "ok", `${out || "bwrap"} is available for a sandboxed exec tool`);
  } catch {
    return result("sandbox", "sandbox", "skip", "bwrap (bubblewrap) is not installed; no enabled tool needs it yet (install it before enabling a shell tool: apt-get install bubblewrap)");
  }
}
