import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { parseDocument } from "yaml";
import type { Config } from "../config/schema.js";
import { ProviderPool } from "../agent/provider.js";
import { CHECK_TIMEOUT_MS, testProvider } from "../agent/provider-check.js";
import { createRedactor } from "../redact.js";
import { PLATFORMS } from "../config/sections/channels.js";
import { McpManager } from "../mcp/manager.js";
import { result, type CheckResult } from "./types.js";
import { PACKAGE_ROOT, VERSION } from "../version.js";
import { whatsAppPackageProblem } from "../channels/whatsapp-package.js";

/** Longest the MCP check waits for every enabled server to connect, in ms. */
export const MCP_CHECK_TIMEOUT_MS = 20_000;

/** The environment variable a config value comes from (`${OPENAI_API_KEY}` in agentd.yaml), if any. */
function envNameOf(dir: string, path: string[]): string | undefined {
  try {
    const raw = parseDocument(readFileSync(join(dir, "agentd.yaml"), "utf8")).getIn(path);
    return typeof raw === "string" ? /\$\{([A-Za-z_][A-Za-z0-9_]*)/.exec(raw)?.[1] : undefined;
  } catch {
    return undefined;
  }
}

const where = (dir: string, envName: string | undefined, key: string) => (envName ? `${envName} in ${join(dir, ".env")}` : `${key} in agentd.yaml`);

/**
 * Each provider that a model uses: `GET {baseUrl}/models` with its key (free, no tokens), no retries, at most
 * {@link CHECK_TIMEOUT_MS}. A refused key (401/403) names where the key comes from; the listed models are checked
 * against the configured model ids when the provider lists any. With `paid`, also a one-token chat completion
 * (`max_tokens: 1`) per configured model, which a provider may bill.
 */
export async function checkProviders(dir: string, config: Config, opts: { paid?: boolean } = {}): Promise<CheckResult[]> {
  const redact = createRedactor(() => Object.values(config.providers).flatMap((p) => [p.apiKey, ...Object.values(p.headers ?? {})]));
  const used = [...new Set(Object.values(config.models).map((m) => m.provider))];
  const out: CheckResult[] = [];
  for (const name of used) {
    const p = config.providers[name]!;
    const id = `provider:${name}`;
    const title = `provider ${name}`;
    const r = await testProvider(p, { redact });
    const keyAt = where(dir, envNameOf(dir, ["providers", name, "apiKey"]), `providers.${name}.apiKey`);
    if (!r.ok) {
      const status = (r.error?.details as { status?: number } | undefined)?.status;
      const refused = status === 401 || status === 403 || r.error?.code === "unauthorized" || /\b40[13]\b/.test(r.error?.message ?? "");
      out.push(refused
        ? result(id, title, "fail", `${p.baseUrl} refused the key: ${r.error?.message ?? "401"}`, p.apiKey ? `put a valid key in ${keyAt}` : `set the key: ${keyAt} (it is empty)`)
        : result(id, title, "fail", `${p.baseUrl} is not reachable: ${r.error?.message ?? "no answer"}`, `check providers.${name}.baseUrl (it ends in /v1 for most servers) and the network; a local server (ollama, vLLM) must be running`));
      continue;
    }
    const ids = new Set(r.models ?? []);
    const wanted = Object.entries(config.models).filter(([, m]) => m.provider === name);
    const unknown = ids.size > 0 ? wanted.filter(([, m]) => !ids.has(m.model)) : [];
    if (unknown.length > 0) {
      out.push(result(id, title, "fail", `key accepted, but ${name} does not offer ${unknown.map(([k, m]) => `${m.model} (models.${k})`).join(", ")}`, `use a model id ${name} lists, e.g. ${[...ids].slice(0, 3).join(", ")}`));
    } else {
      out.push(result(id, title, "ok", `key accepted, ${r.modelCount ?? 0} models listed (${r.latencyMs} ms)`));
    }
  }
  if (opts.paid) {
    const pool = new ProviderPool(() => config);
    for (const name of Object.keys(config.models)) {
      const m = await pool.resolve(name);
      try {
        await m.client.chat.completions.create({ model: m.config.model, messages: [{ role: "user", content: "ok" }], max_tokens: 1 }, { timeout: CHECK_TIMEOUT_MS, maxRetries: 0 });
        out.push(result(`model:${name}`, `model ${name}`, "ok", `${m.config.model} answered a one-token request`));
      } catch (err) {
        out.push(result(`model:${name}`, `model ${name}`, "fail", `${m.config.model} failed a one-token request: ${redact((err as Error).message)}`, `check models.${name}.model and the key of provider ${m.providerName}`));
      }
    }
  }
  return out;
}

async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any; error?: string }> {
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      body = undefined;
    }
    return { status: res.status, body };
  } catch (err) {
    return { status: 0, body: undefined, error: (err as Error).cause ? String(((err as Error).cause as Error).message ?? (err as Error).cause) : (err as Error).message };
  }
}

/**
 * Each enabled bridge's credentials, checked with the platform without starting the bridge: Telegram's `getMe`
 * (https://core.telegram.org/bots/api#getme) at `apiRoot`, Discord's `GET /v10/users/@me` with the bot token
 * (https://discord.com/developers/docs/resources/user#get-current-user) at `apiBase`; WhatsApp has no token: its
 * bridge package (`agentd-whatsapp`, installed separately, same version as agentd) and its linked-device login
 * (`whatsapp-auth/creds.json`) must exist.
 */
export async function checkBridges(dir: string, config: Config, env: NodeJS.ProcessEnv = process.env): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const platform of PLATFORMS) {
    const block = config.channels[platform];
    if (!block?.enabled) continue;
    const id = `bridge:${platform}`;
    const title = `${platform} bridge`;
    if (platform === "whatsapp") {
      // the bridge is the separate GPL package agentd-whatsapp, installed next to agentd (docs/bridges.md)
      const problem = whatsAppPackageProblem(PACKAGE_ROOT, VERSION);
      if (problem) out.push(result(`${id}:package`, `${title} package`, "fail", problem.message, `run ${problem.command}`));
      out.push(existsSync(join(dir, "whatsapp-auth", "creds.json"))
        ? result(id, title, "ok", "linked (whatsapp-auth/creds.json exists)")
        : result(id, title, "fail", "not linked to a phone yet", `run agentd bridge whatsapp ${dir} once and scan the QR code with WhatsApp (Linked devices)`));
      continue;
    }
    const envName = platform === "telegram" ? "TELEGRAM_BOT_TOKEN" : "DISCORD_BOT_TOKEN";
    const token = (block as { botToken?: string }).botToken || env[envName];
    const keyAt = where(dir, envNameOf(dir, ["channels", platform, "botToken"]) ?? envName, `channels.${platform}.botToken`);
    if (!token) {
      out.push(result(id, title, "fail", "no bot token", `${platform === "telegram" ? "create a bot with @BotFather" : "create a bot in the Discord Developer Portal"} and put its token in ${keyAt}`));
      continue;
    }
    let r: Awaited<ReturnType<typeof getJson>>;
    let name = "";
    if (platform === "telegram") {
      const root = ((block as { apiRoot?: string }).apiRoot ?? "https://api.telegram.org").replace(/\/+$/, "");
      r = await getJson(`${root}/bot${token}/getMe`);
      name = r.body?.result?.username ? `@${r.body.result.username}` : "";
      if (r.status === 200 && r.body?.ok !== true) r.status = 401;
    } else {
      const base = ((block as { apiBase?: string }).apiBase ?? "https://discord.com/api").replace(/\/+$/, "");
      r = await getJson(`${base}/v10/users/@me`, { authorization: `Bot ${token}` });
      name = r.body?.username ? String(r.body.username) : "";
    }
    if (r.error) r.error = r.error.split(token).join("[redacted]");
    if (r.status === 200) out.push(result(id, title, "ok", `token accepted${name ? ` (${name})` : ""}`));
    else if (r.status === 401 || r.status === 403 || r.status === 404) out.push(result(id, title, "fail", `${platform} refused the bot token (HTTP ${r.status})`, `put the current token in ${keyAt}${platform === "telegram" ? " (@BotFather: /token)" : " (Developer Portal: Bot, Reset Token)"}`));
    else out.push(result(id, title, "fail", `${platform} did not answer: ${r.error ?? `HTTP ${r.status}`}`, "check the network (and apiRoot/apiBase if set)"));
  }
  return out;
}

/**
 * Each enabled MCP server: started (stdio) or connected (HTTP) the way the daemon does, its tools listed, then
 * stopped; waits at most {@link MCP_CHECK_TIMEOUT_MS} for all of them together.
 */
export async function checkMcp(dir: string, config: Config, timeoutMs = MCP_CHECK_TIMEOUT_MS): Promise<CheckResult[]> {
  const names = Object.entries(config.mcp.servers).filter(([, s]) => (s as { enabled?: boolean }).enabled !== false).map(([n]) => n);
  if (names.length === 0) return [];
  let manager: McpManager;
  try {
    manager = new McpManager({ servers: config.mcp.servers, logger: pino({ level: "silent" }), cwd: dir, timing: { connectTimeoutMs: timeoutMs } });
  } catch (err) {
    return [result("mcp", "MCP servers", "fail", (err as Error).message, "fix mcp.servers in agentd.yaml")];
  }
  manager.start();
  const deadline = Date.now() + timeoutMs;
  const settled = () => manager.status().filter((s) => s.enabled).every((s) => s.state === "connected" || s.state === "error" || (s.state === "reconnecting" && s.lastError));
  while (!settled() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const out = manager.status().filter((s) => s.enabled).map((s) =>
    s.state === "connected"
      ? result(`mcp:${s.name}`, `MCP ${s.name}`, "ok", `connected, ${s.tools.length} tools`)
      : result(`mcp:${s.name}`, `MCP ${s.name}`, "fail", s.lastError ? `does not start: ${s.lastError}` : `did not connect within ${Math.round(timeoutMs / 1000)} s`, `check mcp.servers.${s.name} (command and args, or url); run the command by hand to see its error`),
  );
  await manager.stop();
  return out;
}
