import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { TelegramServer } from "telegram-test-api/lib/telegramServer.js";
import { startFakeLlm, type FakeLlm } from "./support/fake-llm.js";
import { startFakeDiscord, type FakeDiscord } from "./support/fake-discord.js";
import { ROOT, cleanup, initAgent, runCli, startDaemon, waitFor, type RunningDaemon } from "./support/daemon.js";

// Acceptance of issue 19: `agentd doctor` on a healthy agent (all ✓, exit 0) and on a broken one (a provider
// answering 401, a missing bridge token, a busy port, a corrupted vault index: each ✗ with its fix, exit 1).

interface Check { id: string; title: string; status: "ok" | "fail" | "skip"; message: string; fix?: string }
const everything = join(ROOT, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");
const hasBwrap = (() => {
  try {
    execFileSync("bwrap", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

let llm: FakeLlm;
let keyedLlm: FakeLlm;
let tg: TelegramServer;
let apiRoot: string;
let discord: FakeDiscord;
let busy: Server;
let busyPort: number;

async function listenAnywhere(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, port: (server.address() as { port: number }).port };
}

beforeAll(async () => {
  llm = await startFakeLlm();
  keyedLlm = await startFakeLlm({ apiKey: "sk-the-right-key" });
  const probe = await listenAnywhere();
  await new Promise((r) => probe.server.close(r));
  apiRoot = `http://127.0.0.1:${probe.port}`;
  tg = new TelegramServer({ port: probe.port, host: "127.0.0.1", storeTimeout: 600 });
  await tg.start();
  discord = await startFakeDiscord();
  ({ server: busy, port: busyPort } = await listenAnywhere());
});
afterAll(async () => {
  await tg?.stop();
  await llm?.close();
  await keyedLlm?.close();
  await discord?.close();
  busy?.close();
});

describe("agentd doctor on a healthy, running agent", () => {
  let daemon: RunningDaemon;
  beforeAll(async () => {
    const { dir } = await initAgent({
      llmUrl: llm.url,
      edit: (cfg) => {
        cfg.models.main.model = "test-model";
        cfg.channels = {
          telegram: { enabled: true, botToken: "123:doctor-token", apiRoot },
          discord: { enabled: true, botToken: "discord-doctor-token", apiBase: discord.apiUrl },
        };
        cfg.mcp = { servers: { everything: { command: process.execPath, args: [everything] } } };
      },
    });
    daemon = await startDaemon(dir);
    await waitFor(() => daemon.output().includes("Telegram bridge polling"), "the supervised Telegram bridge to poll", 15_000);
  });
  afterAll(async () => {
    await daemon?.stop();
    if (daemon) cleanup(join(daemon.dir, ".."));
  });

  it("passes every check and exits 0", async () => {
    const r = await runCli(["doctor", daemon.dir], { timeoutMs: 60_000 });
    expect(r.stderr).toBe("");
    const lines = r.stdout.trim().split("\n").filter((l) => /^[✓✗–] /.test(l));
    const failed = lines.filter((l) => !l.startsWith("✓") && !(l.includes("sandbox") && !hasBwrap));
    expect(failed).toEqual([]);
    expect(r.stdout).toContain("all checks passed");
    expect(r.code).toBe(0);
    // one line per check, in the order
    const titles = lines.map((l) => l.slice(2, 20).trim());
    expect(titles).toEqual(["Node.js", "config", "token", "port", "provider openai", "telegram bridge", "discord bridge", "MCP everything", "disk space", "database", "vault index", "sandbox"]);
    expect(r.stdout).toMatch(/✓ port\s+the agent is running on port \d+/);
    expect(r.stdout).toMatch(/✓ telegram bridge\s+token accepted/);
    expect(r.stdout).toMatch(/✓ MCP everything\s+connected, \d+ tools/);
    expect(r.stdout).toMatch(hasBwrap ? /✓ sandbox/ : /– sandbox\s+bwrap \(bubblewrap\) is not installed/);
  });

  it("with --paid, also makes a one-token call to each model", async () => {
    const before = llm.requests.length;
    const r = await runCli(["doctor", daemon.dir, "--json", "--paid"], { timeoutMs: 60_000 });
    const report = JSON.parse(r.stdout) as { ok: boolean; checks: Check[] };
    expect(report.checks.find((c) => c.id === "model:main")).toMatchObject({ status: "ok", message: "test-model answered a one-token request" });
    const calls = llm.requests.slice(before).filter((q) => q.path.startsWith("/v1/chat/completions"));
    expect(calls.map((q) => (q.body as { max_tokens?: number }).max_tokens)).toEqual([1]);
    expect(r.code).toBe(0);
  });

  it("keeps the dependencies' deprecation warnings of a supervised bridge out of the log at warn level", () => {
    const log = readFileSync(join(daemon.dir, "logs", "agentd.log"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string; platform?: string });
    expect(log.some((l) => l.platform === "telegram" && l.msg.includes("Telegram bridge polling"))).toBe(true);
    expect(log.filter((l) => l.level >= 40 && /Deprecation|DEP0\d+/.test(l.msg))).toEqual([]);
    expect(daemon.output()).not.toMatch(/DeprecationWarning/);
  });
});

describe("agentd doctor on a broken agent", () => {
  let dir: string;
  beforeAll(async () => {
    ({ dir } = await initAgent({
      llmUrl: keyedLlm.url,
      port: busyPort,
      edit: (cfg) => {
        cfg.providers.openai.apiKey = "${OPENAI_API_KEY}";
        cfg.channels = { telegram: { enabled: true, apiRoot } }; // no botToken, no TELEGRAM_BOT_TOKEN
        cfg.mcp = { servers: { gone: { command: "/nonexistent/mcp-server" } } };
      },
    }));
    writeFileSync(join(dir, ".env"), `${readFileSync(join(dir, ".env"), "utf8")}OPENAI_API_KEY=sk-a-wrong-key\n`);
    chmodSync(join(dir, ".env"), 0o644); // readable by everyone
    // a damaged vault index
    writeFileSync(join(dir, "vault-index.db"), Buffer.alloc(8192, 0x5a));
  });
  afterAll(() => cleanup(join(dir, "..")));

  it("reports each problem with its fix and exits 1", async () => {
    const text = await runCli(["doctor", dir], { timeoutMs: 60_000, env: { TELEGRAM_BOT_TOKEN: "", OPENAI_API_KEY: "" } });
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/✗ provider openai\s+.*refused the key/);
    expect(text.stdout).toMatch(/fix: put a valid key in OPENAI_API_KEY in .*\.env/);
    expect(text.stdout).toMatch(/✗ telegram bridge\s+no bot token\n\s+fix: create a bot with @BotFather and put its token in TELEGRAM_BOT_TOKEN/);
    expect(text.stdout).toMatch(new RegExp(`✗ port\\s+port ${busyPort} on 127.0.0.1 is used by another program\\n\\s+fix: set server.port in agentd.yaml to a free port`));
    expect(text.stdout).toMatch(/✗ vault index\s+vault-index.db is not usable: file is not a database\n\s+fix: delete .*vault-index.db/);
    expect(text.stdout).toMatch(/✗ token\s+.*\.env is readable by others \(mode 0644\)\n\s+fix: chmod 600 .*\.env/);
    expect(text.stdout).toMatch(/✗ MCP gone\s+does not start: .*\n\s+fix: check mcp\.servers\.gone/);
    expect(text.stdout).toMatch(/✓ config/);
    expect(text.stdout).toMatch(/✓ database/);

    const json = await runCli(["doctor", dir, "--json"], { timeoutMs: 60_000, env: { TELEGRAM_BOT_TOKEN: "", OPENAI_API_KEY: "" } });
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { ok: boolean; checks: Check[] };
    expect(report.ok).toBe(false);
    const failed = Object.fromEntries(report.checks.filter((c) => c.status === "fail").map((c) => [c.id, c]));
    expect(Object.keys(failed).sort()).toEqual(["bridge:telegram", "mcp:gone", "port", "provider:openai", "token", "vault-index"]);
    for (const c of Object.values(failed)) expect(c.fix).toBeTruthy();
    // the key never appears in the report
    expect(json.stdout).not.toContain("sk-a-wrong-key");
  });

  it("says what is wrong with the config and skips what needs it", async () => {
    const file = join(dir, "agentd.yaml");
    const good = readFileSync(file, "utf8");
    try {
      const doc = parseDocument(good);
      doc.set("model", "nosuch");
      writeFileSync(file, doc.toString());
      const r = await runCli(["doctor", dir, "--json"], { timeoutMs: 30_000 });
      const report = JSON.parse(r.stdout) as { checks: Check[] };
      expect(r.code).toBe(1);
      expect(report.checks.find((c) => c.id === "config")).toMatchObject({ status: "fail", message: 'model: no model named "nosuch" under models' });
      expect(report.checks.find((c) => c.id === "providers")?.status).toBe("skip");
    } finally {
      writeFileSync(file, good);
    }
  });
});
