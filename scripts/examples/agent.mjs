// Finds a running agent from its folder, for the Node examples (Node >= 22, no dependencies).
// The port comes from DIR/.port (written by the daemon once it listens), the token from AGENTD_TOKEN in
// DIR/.env (else the environment).
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** Connects to the agent of `dir`: `{ url, token, api(path, init) }`; `api` throws on an error status. */
export function agent(dir) {
  if (!dir) {
    console.error(`usage: node ${process.argv[1]} AGENT_DIR ...`);
    process.exit(64);
  }
  let port;
  try {
    port = Number.parseInt(readFileSync(join(dir, ".port"), "utf8"), 10);
  } catch {
    console.error(`the agent in ${dir} is not running (no ${join(dir, ".port")}); start it with: agentd start ${dir}`);
    process.exit(1);
  }
  let token = process.env.AGENTD_TOKEN;
  try {
    const m = /^\s*(?:export\s+)?AGENTD_TOKEN\s*=\s*["']?([^"'\s]+)/m.exec(readFileSync(join(dir, ".env"), "utf8"));
    if (m) token = m[1];
  } catch {
    /* no .env: use the environment */
  }
  if (!token) {
    console.error(`no token: AGENTD_TOKEN is neither in ${join(dir, ".env")} nor in the environment`);
    process.exit(1);
  }
  const url = `http://127.0.0.1:${port}`;
  async function api(path, init = {}) {
    const res = await fetch(url + path, {
      ...init,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers },
    });
    if (!res.ok) {
      const body = await res.json().catch(() => ({}));
      throw new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${body.error?.code ?? ""} ${body.error?.message ?? ""}`.trim());
    }
    return res;
  }
  return { url, token, api };
}
