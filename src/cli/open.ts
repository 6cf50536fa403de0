import { spawn } from "node:child_process";
import { AgentdClient } from "../../protocol/client.js";
import { AgentdError } from "../errors.js";

/** The command that opens a URL in the desktop's browser, or undefined where there is no desktop. */
function browserCommand(): string[] | undefined {
  if (process.platform === "darwin") return ["open"];
  if (process.platform === "win32") return ["cmd", "/c", "start", ""];
  if (process.env.DISPLAY || process.env.WAYLAND_DISPLAY) return ["xdg-open"];
  return undefined;
}

/**
 * `agentd open DIR [--no-browser]`: asks the running agent for a one-time login code (valid 60 s, one use; the
 * daemon first proves it holds the token over the WebSocket handshake, so the token never goes to an impostor on
 * a stale port), prints the link `http://HOST:PORT/#login=CODE` and opens it in the desktop's browser. The page
 * exchanges the code for a session cookie and drops it from the address bar; the token itself is never in a URL.
 * Throws an `unavailable` AgentdError when the agent is not running.
 */
export async function openCommand(dir: string, opts: { browser?: boolean } = {}): Promise<string> {
  let client: AgentdClient;
  try {
    client = await AgentdClient.connect({ agentDir: dir, reconnect: false, clientName: "agentd-open" });
  } catch (err) {
    throw new AgentdError("unavailable", `cannot reach the agent in ${dir}: ${(err as Error).message}`);
  }
  try {
    const endpoint = await client.verifiedEndpoint();
    const res = await fetch(`${endpoint.httpUrl}/api/login-codes`, { method: "POST", headers: { authorization: `Bearer ${endpoint.token}` } });
    if (!res.ok) throw new AgentdError("unavailable", `the agent refused a login code (${res.status}): ${await res.text()}`);
    const { code } = (await res.json()) as { code: string };
    const url = `${endpoint.httpUrl}/#login=${code}`;
    process.stdout.write(`${url}\n(one-time link, valid for 60 seconds)\n`);
    const cmd = opts.browser === false ? undefined : browserCommand();
    if (cmd) {
      const child = spawn(cmd[0]!, [...cmd.slice(1), url], { stdio: "ignore", detached: true });
      child.on("error", () => undefined);
      child.unref();
    }
    return url;
  } finally {
    client.close();
  }
}
