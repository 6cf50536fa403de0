// Issue 17 on a real daemon: config values that cannot start the server (item 3), `${VAR}` in a provider test
// (item 4), `${VAR}` for numbers and "did you mean" for unknown keys (item 12).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { startFakeLlm, type FakeLlm } from "./support/fake-llm.js";
import { cleanup, initAgent, runCli, startDaemon, waitFor, type RunningDaemon } from "./support/daemon.js";

const KEY = "sk-test-0123456789abcdefWXYZ";
const json = async (res: Response): Promise<any> => res.json();

/** A stand-in provider that records every request it gets (URL and headers) and lists no models. */
async function startCapture(): Promise<{ url: string; seen: Array<{ url: string; headers: IncomingHttpHeaders }>; close(): Promise<void> }> {
  const seen: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
  const server: Server = createServer((req, res) => {
    seen.push({ url: req.url ?? "", headers: req.headers });
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ object: "list", data: [{ id: "m1", object: "model" }] }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return { url, seen, close: () => new Promise((r) => server.close(() => r())) };
}

let llm: FakeLlm;
let d: RunningDaemon;
let root: string;
const send = (path: string, method: string, body: unknown) => d.api(path, { method, body: JSON.stringify(body) });

beforeAll(async () => {
  llm = await startFakeLlm();
  const { dir } = await initAgent({ llmUrl: llm.url });
  root = join(dir, "..");
  appendFileSync(join(dir, ".env"), `OPENAI_API_KEY=${KEY}\nUNRELATED_SECRET=do-not-send-me\n`);
  d = await startDaemon(dir, { env: { DAEMON_ONLY_SECRET: "from-the-daemon-environment" } });
});
afterAll(async () => {
  await d?.kill();
  await llm?.close();
  if (root) cleanup(root);
});

describe("POST /api/providers/test expands only provider keys of the agent's .env (item 4)", () => {
  it("never sends the owner token, HOME or any other variable of the daemon's environment", async () => {
    const capture = await startCapture();
    try {
      const leaks = ["${AGENTD_TOKEN}", "${HOME}", "${DAEMON_ONLY_SECRET}", "${UNRELATED_SECRET}", "x-${PATH:-none}"];
      for (const ref of leaks) {
        for (const body of [{ baseUrl: capture.url, apiKey: ref }, { baseUrl: capture.url, headers: { "x-leak": ref } }]) {
          const res = await send("/api/providers/test", "POST", body);
          expect(res.status, `${JSON.stringify(body)}`).toBe(400);
          const { error } = await json(res);
          expect(error.code).toBe("bad_request");
          expect(error.details.path).toMatch(/^(apiKey|headers\.x-leak)$/);
          expect(error.message).toContain(".env");
        }
      }
      expect(capture.seen).toEqual([]);

      // a provider key the .env defines (and agentd.yaml uses for a provider) is expanded: that is what the test is for
      const res = await send("/api/providers/test", "POST", { baseUrl: capture.url, apiKey: "${OPENAI_API_KEY}" });
      expect(await json(res)).toMatchObject({ ok: true, models: ["m1"] });
      expect(capture.seen.map((r) => r.headers.authorization)).toEqual([`Bearer ${KEY}`]);
      const everything = JSON.stringify(capture.seen);
      for (const secret of [d.token, process.env.HOME!, "from-the-daemon-environment", "do-not-send-me"]) expect(everything).not.toContain(secret);
    } finally {
      await capture.close();
    }
  });
});

describe("a server config that cannot start never takes the agent down (item 3)", () => {
  const yamlFile = () => join(d.dir, "agentd.yaml");

  it("PATCH /api/config/server refuses a host that is not one, or that this machine cannot listen on: 400, file untouched", async () => {
    const before = readFileSync(yamlFile(), "utf8");
    for (const host of ["not a host!", "nonexistent-host.invalid", "192.0.2.1"]) {
      const res = await send("/api/config/server", "PATCH", { host });
      expect(res.status, host).toBe(400);
      const { error } = await json(res);
      expect(error).toMatchObject({ code: "bad_request", details: { path: "server.host" } });
      expect(error.message).toContain(host);
    }
    expect(readFileSync(yamlFile(), "utf8")).toBe(before);
    // a host this machine has is accepted (and needs a restart)
    const ok = await send("/api/config/server", "PATCH", { host: "localhost" });
    expect(await json(ok)).toMatchObject({ changed: ["server"], restartRequired: ["server"] });
    expect((await send("/api/config/server", "PATCH", { host: "127.0.0.1" })).status).toBe(200);
  });

  it("POST /api/restart with an agentd.yaml that cannot start falls back to the last good config, says why, stays up", async () => {
    const pid = d.child.pid;
    // an edit by hand the API could not check: a host name that does not resolve
    const good = readFileSync(yamlFile(), "utf8");
    writeFileSync(yamlFile(), good.replace(/^( {2}host:).*$/m, "$1 nonexistent-host.invalid"));
    expect(readFileSync(yamlFile(), "utf8")).toContain("nonexistent-host.invalid");
    try {
      const res = await send("/api/restart", "POST", {});
      expect(res.status).toBe(202);
      await waitFor(() => d.output().includes("running with the last good config"), "the fallback to be logged", 20_000);
      const health = await waitFor(async () => (await fetch(`${d.url}/api/health`).catch(() => undefined))?.ok, "the restarted daemon to answer", 20_000);
      expect(health).toBe(true);
      expect(d.child.exitCode).toBeNull();
      expect(d.child.pid).toBe(pid);
      const log = d.output();
      expect(log).toMatch(/ENOTFOUND|EAI_AGAIN/);
      expect(log).toContain("nonexistent-host.invalid");
      expect(log).not.toContain("sonic boom");
      expect(readFileSync(join(d.dir, ".port"), "utf8").trim()).toBe(String(d.port));
      // and it still works: a chat turn through the restarted daemon
      expect((await json(await send("/api/chat", "POST", { text: "still here?" }))).text).toBe("You said: still here?");
    } finally {
      writeFileSync(yamlFile(), good);
    }
  });

  it("agentd start with a host it cannot listen on exits with the reason and no stack trace", async () => {
    const { dir } = await initAgent({ llmUrl: llm.url, dir: join(root, "unbindable"), edit: (cfg) => (cfg.server.host = "nonexistent-host.invalid") });
    const r = await runCli(["start", dir], { env: { AGENTD_TOKEN: "" } });
    expect(r.code).not.toBe(0);
    expect(r.stderr + r.stdout).toContain("nonexistent-host.invalid");
    expect(r.stderr).not.toContain("sonic boom");
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});

describe("agentd.yaml as a new user writes it (item 12)", () => {
  it("starts with a port from ${VAR} (and its default), through the real CLI", async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const { dir } = await initAgent({ llmUrl: llm.url, dir: join(root, "env-port") });
    const file = join(dir, "agentd.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace(/^( {2}port:).*$/m, `$1 \${B_PORT:-${port + 1}}`));
    const agent = await startDaemon(dir, { env: { B_PORT: String(port) } });
    try {
      expect(agent.port).toBe(port);
      expect((await json(await agent.api("/api/config"))).server.port).toBe(port);
    } finally {
      await agent.stop();
    }
  });

  it("says which key a typo meant, and exits 78", async () => {
    const { dir } = await initAgent({ llmUrl: llm.url, dir: join(root, "typo") });
    const file = join(dir, "agentd.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace(/^model:/m, "modle:"));
    const r = await runCli(["start", dir], { env: { AGENTD_TOKEN: "" } });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain("unknown key: modle (did you mean `model`?)");
  });
});
