import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseEnv } from "node:util";

/** Where a client connects: a WebSocket URL (`ws://host:port/ws`) and the bearer token. */
export interface Endpoint {
  wsUrl: string;
  httpUrl: string;
  token: string;
}

/**
 * Parses a dotenv file (the agent folder's `.env`, where `agentd init` writes `AGENTD_TOKEN`) with Node's
 * `util.parseEnv`, which follows the `dotenv` package: `KEY=value` lines, `export ` allowed, `#` starts a comment
 * (also inside an unquoted value: quote a value that contains `#`), values in '…', `…` or "…" are taken as written
 * (may span lines; only "…" turns `\n` into a line break), unquoted values are trimmed. Never throws.
 */
export function parseDotenv(text: string): Record<string, string> {
  return parseEnv(text) as Record<string, string>;
}

/** Reads the token of an agent folder: `AGENTD_TOKEN` from the environment, else from `DIR/.env`. Throws if neither has it. */
export async function readAgentToken(agentDir: string): Promise<string> {
  if (process.env.AGENTD_TOKEN) return process.env.AGENTD_TOKEN;
  let text = "";
  try {
    text = await readFile(join(agentDir, ".env"), "utf8");
  } catch {
    throw new Error(`no token: ${join(agentDir, ".env")} is missing and AGENTD_TOKEN is not set`);
  }
  const token = parseDotenv(text).AGENTD_TOKEN;
  if (!token) throw new Error(`no token: AGENTD_TOKEN is not in ${join(agentDir, ".env")}`);
  return token;
}

/** Reads the port a running daemon wrote to `DIR/.port`. Throws a clear error when the agent is not running. */
export async function readAgentPort(agentDir: string): Promise<number> {
  let text: string;
  try {
    text = await readFile(join(agentDir, ".port"), "utf8");
  } catch {
    throw new Error(`agent is not running: ${join(agentDir, ".port")} does not exist`);
  }
  const port = Number.parseInt(text.trim(), 10);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`bad port file ${join(agentDir, ".port")}`);
  return port;
}

/**
 * Resolves an endpoint from either an agent folder (port from `.port`, token from `.env`; host 127.0.0.1)
 * or an explicit `url` (http(s):// or ws(s)://, with or without `/ws`) and `token`.
 */
export async function resolveEndpoint(opts: { agentDir?: string; url?: string; token?: string }): Promise<Endpoint> {
  let base: URL;
  if (opts.url) {
    base = new URL(opts.url);
  } else if (opts.agentDir) {
    base = new URL(`http://127.0.0.1:${await readAgentPort(opts.agentDir)}`);
  } else {
    throw new Error("either agentDir or url is required");
  }
  const token = opts.token ?? (opts.agentDir ? await readAgentToken(opts.agentDir) : process.env.AGENTD_TOKEN);
  if (!token) throw new Error("no token given");
  const secure = base.protocol === "https:" || base.protocol === "wss:";
  const hostPort = base.host;
  return {
    wsUrl: `${secure ? "wss" : "ws"}://${hostPort}/ws`,
    httpUrl: `${secure ? "https" : "http"}://${hostPort}`,
    token,
  };
}
