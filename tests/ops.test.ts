import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startFakeLlm, type FakeLlm } from "./support/fake-llm.js";
import { ROOT, cleanup, initAgent, startDaemon, waitFor, type RunningDaemon } from "./support/daemon.js";
import { AgentdClient } from "../protocol/client.js";

// above the generic 1 MiB body limit of /api/*: uploads have their own
const MAX_BYTES = 2 * 1024 * 1024;
let llm: FakeLlm;
let d: RunningDaemon;
let root: string;

beforeAll(async () => {
  llm = await startFakeLlm();
  const { dir } = await initAgent({
    llmUrl: llm.url,
    edit: (cfg) => {
      cfg.models.whisper = { provider: "openai", model: "whisper-1" };
      cfg.uploads = { maxBytes: MAX_BYTES, transcriptionModel: "whisper" };
      cfg.update = { package: "@acme/agentd" }; // a package to check; without one, updates are unavailable at once
    },
  });
  root = join(dir, "..");
  // a dead registry: the update check must fail fast and clearly
  d = await startDaemon(dir, { env: { npm_config_registry: "http://127.0.0.1:9/" } });
});
afterAll(async () => {
  await d?.kill();
  await llm?.close();
  if (root) cleanup(root);
});

const uploads = () => readdirSync(join(d.dir, "uploads")).sort();

function upload(body: Blob, filename: string): Promise<Response> {
  const form = new FormData();
  form.append("file", body, filename);
  return fetch(`${d.url}/api/upload`, { method: "POST", body: form, headers: { authorization: `Bearer ${d.token}` } });
}

describe("POST /api/upload", () => {
  it("stores a file within the limit under uploads/ and answers with its attachment", async () => {
    const bytes = new Uint8Array(MAX_BYTES).map((_, i) => i % 251);
    bytes.set(new TextEncoder().encode("\r\n--"), 1000); // looks like the start of a boundary
    const res = await upload(new Blob([bytes], { type: "image/png" }), "photo.png");
    expect(res.status).toBe(201);
    const body = (await res.json()) as { path: string; filename: string; bytes: number; mime: string; transcription?: string };
    expect(body).toMatchObject({ filename: "photo.png", bytes: MAX_BYTES, mime: "image/png" });
    expect(body.transcription).toBeUndefined();
    expect(body.path).toMatch(/^uploads\/[^/]+-photo\.png$/);
    expect(Buffer.from(readFileSync(join(d.dir, body.path))).equals(Buffer.from(bytes))).toBe(true);
  });

  it("answers 413 above uploads.maxBytes and writes nothing", async () => {
    const before = uploads();
    const res = await upload(new Blob([new Uint8Array(MAX_BYTES + 1)]), "too-big.bin");
    expect(res.status).toBe(413);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("payload_too_large");
    expect(error.message).toContain("uploads.maxBytes");
    expect(uploads()).toEqual(before);
    // far above the limit: refused from Content-Length alone
    const huge = await upload(new Blob([new Uint8Array(4 * MAX_BYTES)]), "huge.bin");
    expect(huge.status).toBe(413);
    expect(uploads()).toEqual(before);
    // the connection is still usable afterwards
    expect((await d.api("/api/sessions")).status).toBe(200);
  });

  it("keeps a file name with ../ inside uploads/", async () => {
    const res = await upload(new Blob(["not a password file"]), "../../../../etc/passwd");
    expect(res.status).toBe(201);
    const body = (await res.json()) as { path: string; filename: string };
    expect(body.filename).toBe("passwd");
    expect(body.path).toMatch(/^uploads\/[^/]+-passwd$/);
    expect(readFileSync(join(d.dir, body.path), "utf8")).toBe("not a password file");
    expect(existsSync(join(d.dir, "..", "etc"))).toBe(false);
  });

  it("transcribes audio through the provider's transcription endpoint", async () => {
    const res = await upload(new Blob([new Uint8Array(1234)], { type: "audio/ogg" }), "voice.ogg");
    expect(res.status).toBe(201);
    const body = (await res.json()) as { mime: string; transcription?: string };
    expect(body.mime).toBe("audio/ogg");
    expect(body.transcription).toBe("transcribed: 1234 bytes");
  });

  it("refuses a body that is not multipart", async () => {
    const res = await d.api("/api/upload", { method: "POST", body: JSON.stringify({ file: "x" }) });
    expect(res.status).toBe(400);
  });
});

describe("GET/DELETE /api/logs", () => {
  type Entry = { time: string; level: string; component: string; message: string };
  const logs = async (q = "") => ((await (await d.api(`/api/logs${q}`)).json()) as { entries: Entry[] }).entries;

  it("lists recent events newest first, filtered by level, since and limit, and clears them", async () => {
    const all = await logs();
    expect(all.some((e) => e.component === "uploads" && e.message === "file uploaded")).toBe(true);
    expect(all.some((e) => e.message.startsWith("agent ") && e.message.includes("listening"))).toBe(true);
    const times = all.map((e) => e.time);
    expect([...times].sort().reverse()).toEqual(times);
    expect(JSON.stringify(all)).not.toContain(d.token);

    expect((await logs("?limit=2")).length).toBe(2);
    const errorsOnly = await logs("?level=error");
    expect(errorsOnly.every((e) => e.level === "error" || e.level === "fatal")).toBe(true);
    const newest = all[0]!.time;
    const since = await logs(`?since=${encodeURIComponent(newest)}`);
    expect(since.length).toBeGreaterThan(0);
    expect(since.every((e) => e.time >= newest)).toBe(true);
    const bad = await d.api("/api/logs?since=yesterday");
    expect(bad.status).toBe(400);

    const cleared = (await (await d.api("/api/logs", { method: "DELETE" })).json()) as { cleared: number };
    expect(cleared.cleared).toBeGreaterThan(0);
    expect((await logs()).filter((e) => e.time < newest)).toEqual([]);
  });
});

describe("GET /metrics", () => {
  it("exposes runs, tokens, latency and connections after a chat, behind the token", async () => {
    const chat = await d.api("/api/chat", { method: "POST", body: JSON.stringify({ text: "count me" }) });
    expect(chat.status).toBe(200);
    const res = await d.api("/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    expect(text).toMatch(/^agentd_runs_total\{status="ok",model="main"\} [1-9]\d*$/m);
    expect(text).toMatch(/^agentd_tokens_total\{model="main",type="prompt"\} [1-9]\d*$/m);
    expect(text).toMatch(/^agentd_tokens_total\{model="main",type="completion"\} [1-9]\d*$/m);
    expect(text).toMatch(/^agentd_run_duration_seconds_count [1-9]\d*$/m);
    expect(text).toMatch(/^agentd_run_duration_seconds_bucket\{le="\+Inf"\} [1-9]\d*$/m);
    expect(text).toMatch(/^agentd_open_connections \d+$/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds [\d.e-]+$/m);
    expect(text).toContain("# TYPE agentd_cost_usd_total counter");
    expect((await fetch(`${d.url}/metrics`)).status).toBe(401);
  });
});

describe("POST /api/update", () => {
  it("says clearly that the registry cannot be reached when offline", async () => {
    const started = Date.now();
    const res = await d.api("/api/update", { method: "POST", body: "{}" });
    expect(res.status).toBe(503);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("unavailable");
    expect(error.message).toMatch(/^cannot check for updates: /);
    expect(error.message).toMatch(/ECONNREFUSED|127\.0\.0\.1:9/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe("scripts/examples", () => {
  const run = (cmd: string, args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((res) => {
      execFile(cmd, args, { cwd: ROOT, timeout: 20_000, env: { ...process.env, AGENTD_TOKEN: "" } }, (err, stdout, stderr) =>
        res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
    });
  const ex = (name: string) => join(ROOT, "scripts", "examples", name);

  it("chat, list sessions and read usage with curl and with Node, finding the agent by its folder", async () => {
    const sh = await run("sh", [ex("chat.sh"), d.dir, "hi from curl"]);
    expect(sh.code, sh.stderr).toBe(0);
    expect(sh.stdout).toContain("event: run.done");
    expect(sh.stdout).toContain("You said: hi from curl");
    const mjs = await run(process.execPath, [ex("chat.mjs"), d.dir, "hi from node"]);
    expect(mjs.code, mjs.stderr).toBe(0);
    expect(mjs.stdout).toMatch(/^You said: hi from node\n\[session \S+, main, \d+\+\d+ tokens/);

    const list = await run("sh", [ex("sessions.sh"), d.dir]);
    expect(list.code, list.stderr).toBe(0);
    const sessions = (JSON.parse(list.stdout) as { sessions: Array<{ id: string }> }).sessions;
    expect(sessions.length).toBeGreaterThanOrEqual(2);
    const listed = await run(process.execPath, [ex("sessions.mjs"), d.dir]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(sessions[0]!.id);

    const usage = await run("sh", [ex("usage.sh"), d.dir]);
    expect(usage.code, usage.stderr).toBe(0);
    expect((JSON.parse(usage.stdout) as { total: { calls: number } }).total.calls).toBeGreaterThan(0);
    const usageNode = await run(process.execPath, [ex("usage.mjs"), d.dir]);
    expect(usageNode.code, usageNode.stderr).toBe(0);
    expect(usageNode.stdout).toMatch(/^total\s+\d+ calls/m);
  });

  it("say clearly when the agent is not running", async () => {
    const r = await run("sh", [ex("sessions.sh"), root]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("is not running");
    const n = await run(process.execPath, [ex("usage.mjs"), root]);
    expect(n.code).not.toBe(0);
    expect(n.stderr).toContain("is not running");
  });
});

describe("POST /api/restart", () => {
  it("restarts in place; the protocol client reconnects and the next chat works", async () => {
    const client = await AgentdClient.connect({ agentDir: d.dir, backoffInitialMs: 50, backoffMaxMs: 200 });
    try {
      const states: string[] = [];
      client.onState((s) => states.push(s));
      const first = await (await client.send("before the restart")).result();
      expect(first.text).toBe("You said: before the restart");

      const res = await d.api("/api/restart", { method: "POST" });
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ restarting: true });
      await waitFor(() => states.includes("reconnecting") && states.at(-1) === "open", "the client to reconnect", 15_000);

      const info = await client.request("agent.info", {});
      expect(info.port).toBe(d.port);
      expect(info.pid).toBe(d.child.pid);
      // a second start in the same process: stopped for the API, listening again
      expect(d.output()).toMatch(/"reason":"api".*"msg":"stopping"/);
      expect(d.output().match(/"msg":"agent [^"]* listening on/g)).toHaveLength(2);
      expect(Number.parseInt(readFileSync(join(d.dir, ".port"), "utf8"), 10)).toBe(d.port);
      const second = await (await client.send("after the restart", { sessionId: first.sessionId })).result();
      expect(second.text).toBe("You said: after the restart");
    } finally {
      client.close();
    }
    expect(await d.stop()).toBe(0);
    expect(existsSync(join(d.dir, ".port"))).toBe(false);
  });
});
