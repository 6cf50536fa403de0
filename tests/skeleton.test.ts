import { HEAP_GROWING_PERCENT, STARTUP_TIERING_FLAGS } from "../src/memory.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import Database from "better-sqlite3";
import { startFakeLlm, type FakeLlm } from "./support/fake-llm.js";
import { initAgent, startDaemon, runCli, tempDir, type RunningDaemon } from "./support/daemon.js";
import { AgentdClient, ProtocolError } from "../protocol/client.js";
import type { RunEvent } from "../protocol/events.js";
import { clientProofOf, keyIdOfToken, keyOfToken, newNonce } from "../protocol/handshake.js";

let llm: FakeLlm;
/** Session titles would take scripted replies meant for chat turns; they are tested in tests/agent-*.test.ts. */
const noTitles = (c: Record<string, any>) => (c.agent = { ...c.agent, titleSessions: false });
const daemons: RunningDaemon[] = [];
const start = async (dir: string) => {
  const d = await startDaemon(dir);
  daemons.push(d);
  return d;
};

beforeAll(async () => {
  llm = await startFakeLlm();
});
afterAll(async () => {
  await Promise.all(daemons.map((d) => d.kill()));
  await llm.close();
});

/** Opens a raw WebSocket and collects parsed frames. */
async function rawWs(port: number): Promise<{ ws: WebSocket; frames: any[]; closed: Promise<{ code: number; reason: string }>; next(pred: (f: any) => boolean): Promise<any> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  const frames: any[] = [];
  const waiters: Array<{ pred: (f: any) => boolean; resolve: (f: any) => void }> = [];
  ws.addEventListener("message", (m) => {
    const f = JSON.parse(String(m.data));
    frames.push(f);
    for (const w of [...waiters]) if (w.pred(f)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(f);
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.addEventListener("close", (e) => r({ code: e.code, reason: e.reason })));
  await new Promise((r, j) => {
    ws.addEventListener("open", r);
    ws.addEventListener("error", j);
  });
  return {
    ws, frames, closed,
    next: (pred) => {
      const found = frames.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ pred, resolve }));
    },
  };
}

describe("agentd init", () => {
  it("creates the folder with a 0600 token and refuses to touch it twice", async () => {
    const dir = join(tempDir(), "a");
    const first = await runCli(["init", dir]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`agentd start`);
    expect(first.stdout).toContain(`agentd chat`);
    for (const f of ["agentd.yaml", "SOUL.md", "USER.md", "MEMORY.md", "vault/Welcome.md", ".gitignore", ".env"]) expect(existsSync(join(dir, f)), f).toBe(true);
    const env = readFileSync(join(dir, ".env"), "utf8");
    const token = /AGENTD_TOKEN=([A-Za-z0-9_-]+)/.exec(env)?.[1] ?? "";
    expect(Buffer.from(token, "base64url").length).toBeGreaterThanOrEqual(32);
    expect(statSync(join(dir, ".env")).mode & 0o777).toBe(0o600);
    const yamlBefore = readFileSync(join(dir, "agentd.yaml"), "utf8");
    const second = await runCli(["init", dir]);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toMatch(/already holds an agent/);
    expect(readFileSync(join(dir, ".env"), "utf8")).toBe(env);
    expect(readFileSync(join(dir, "agentd.yaml"), "utf8")).toBe(yamlBefore);
  });
});

describe("agentd start", () => {
  it("stops a bad config with the file, the key path and the reason, exit 78, no stack", async () => {
    const { dir } = await initAgent({ llmUrl: llm.url, edit: (c) => (c.server.port = "eighty") });
    const r = await runCli(["start", dir]);
    expect(r.code).toBe(78);
    expect(r.stderr).toContain("agentd.yaml");
    expect(r.stderr).toContain("server.port");
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, ".port"))).toBe(false);
  });

  it("refuses a second daemon on the same folder, and a stale lock does not block", async () => {
    const { dir } = await initAgent({ llmUrl: llm.url, edit: noTitles });
    const d = await start(dir);
    const second = await runCli(["start", dir]);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toMatch(/already running/);
    await d.kill(); // kill -9 leaves the lock and .port behind
    expect(existsSync(join(dir, ".agentd.lock"))).toBe(true);
    const again = await start(dir);
    expect((await fetch(`${again.url}/api/health`)).status).toBe(200);
    expect(await again.stop()).toBe(0);
  });

  it("gives three daemons with the same preferred port three ports, each in its own .port", async () => {
    const port = 30000 + Math.floor(Math.random() * 20000);
    const agents = await Promise.all([0, 1, 2].map(() => initAgent({ llmUrl: llm.url, port, edit: noTitles })));
    const running = await Promise.all(agents.map((a) => start(a.dir)));
    const ports = running.map((d) => d.port);
    expect(new Set(ports).size).toBe(3);
    for (const d of running) {
      expect(Number(readFileSync(join(d.dir, ".port"), "utf8"))).toBe(d.port);
      expect(d.port).toBeGreaterThanOrEqual(port);
      expect(d.port).toBeLessThan(port + 100);
      const info = (await (await d.api("/api/agent-info")).json()) as { port: number; dir: string };
      expect(info.port).toBe(d.port);
    }
    await Promise.all(running.map((d) => d.stop()));
  });

  it("removes .port and exits 0 on SIGTERM", async () => {
    const { dir } = await initAgent({ llmUrl: llm.url, edit: noTitles });
    const d = await start(dir);
    expect(existsSync(join(dir, ".port"))).toBe(true);
    expect(await d.stop()).toBe(0);
    expect(existsSync(join(dir, ".port"))).toBe(false);
    expect(existsSync(join(dir, ".agentd.lock"))).toBe(false);
    const log = readFileSync(join(dir, "logs", "agentd.log"), "utf8");
    expect(log).toContain("listening");
    expect(log).not.toContain(d.token);
  });
});

describe("a chat turn end to end", () => {
  let d: RunningDaemon;
  beforeAll(async () => {
    const { dir } = await initAgent({ llmUrl: llm.url, edit: noTitles });
    d = await start(dir);
  });

  it("streams deltas over the WebSocket protocol that join to the scripted reply, and stores the messages", async () => {
    const reply = "Hello! Deltas arrive in order, one piece at a time.";
    llm.enqueue({ text: reply, chunkSize: 5 });
    const client = await AgentdClient.connect({ agentDir: d.dir, reconnect: false });
    const run = await client.send("hi there");
    const events: RunEvent[] = [];
    for await (const ev of run.events) events.push(ev);
    client.close();
    const deltas = events.filter((e) => e.event === "run.delta").map((e) => (e.payload as { text: string }).text);
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.join("")).toBe(reply);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const done = events.at(-1)!;
    expect(done.event).toBe("run.done");
    expect(done.payload).toMatchObject({ status: "ok", text: reply, model: "main", runId: run.runId, sessionId: run.sessionId });
    const db = new Database(join(d.dir, "agentd.db"), { readonly: true });
    const rows = db.prepare("select role, content, status from messages where session_id = ? order by id").all(run.sessionId);
    const usage = db.prepare("select count(*) n from usage_events where run_id = ?").get(run.runId) as { n: number };
    db.close();
    expect(rows).toEqual([{ role: "user", content: "hi there", status: "ok" }, { role: "assistant", content: reply, status: "ok" }]);
    expect(usage.n).toBe(1);
  });

  it("answers POST /api/chat with JSON, and with Server-Sent Events on request", async () => {
    llm.enqueue({ text: "JSON reply" });
    const res = await d.api("/api/chat", { method: "POST", body: JSON.stringify({ text: "json please" }) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { text: string; status: string; sessionId: string };
    expect(body).toMatchObject({ text: "JSON reply", status: "ok" });

    llm.enqueue({ text: "streamed over SSE", chunkSize: 4 });
    const sse = await d.api("/api/chat", { method: "POST", headers: { accept: "text/event-stream" }, body: JSON.stringify({ text: "sse please", sessionId: body.sessionId }) });
    expect(sse.headers.get("content-type")).toContain("text/event-stream");
    const text = await sse.text();
    const events = text.split("\n\n").filter(Boolean).map((block) => {
      const name = /^event: (.+)$/m.exec(block)?.[1];
      const data = /^data: (.+)$/m.exec(block)?.[1];
      return { name, data: data ? JSON.parse(data) : undefined };
    });
    expect(events[0]!.name).toBe("run.accepted");
    expect(events.filter((e) => e.name === "run.delta").map((e) => e.data.text).join("")).toBe("streamed over SSE");
    expect(events.at(-1)).toMatchObject({ name: "run.done", data: { text: "streamed over SSE" } });
    const history = (await (await d.api(`/api/sessions/${body.sessionId}/messages`)).json()) as { messages: Array<{ role: string; content: string }> };
    expect(history.messages.map((m) => [m.role, m.content])).toEqual([
      ["user", "json please"], ["assistant", "JSON reply"], ["user", "sse please"], ["assistant", "streamed over SSE"],
    ]);
  });

  it("runs the same idempotency key once and returns the first run's id", async () => {
    const before = llm.requests.length;
    const client = await AgentdClient.connect({ agentDir: d.dir, reconnect: false });
    const first = await client.send("only once", { idempotencyKey: "key-1" });
    const done = await first.result();
    const second = await client.request("chat.send", { text: "only once", idempotencyKey: "key-1" });
    client.close();
    expect(second).toMatchObject({ runId: first.runId, sessionId: first.sessionId, duplicate: true });
    expect(done.text).toBe("You said: only once");
    expect(llm.requests.length - before).toBe(1);
  });

  it("rejects a wrong token with 401 JSON on REST and a typed error and close on WS", async () => {
    for (const headers of [{}, { authorization: "Bearer wrong" }]) {
      const res = await fetch(`${d.url}/api/sessions`, { headers });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: { code: "unauthorized", message: expect.any(String) } });
    }
    expect((await fetch(`${d.url}/api/health`)).status).toBe(200);
    const raw = await rawWs(d.port);
    raw.ws.send(JSON.stringify({ type: "hello", protocol: { min: 2, max: 2 }, keyId: keyIdOfToken("wrong"), clientNonce: newNonce() }));
    const err = await raw.next((f) => f.type === "error");
    expect(err.error.code).toBe("unauthorized");
    expect((await raw.closed).code).toBe(4401);
    await expect(AgentdClient.connect({ url: d.url, token: "wrong", reconnect: false })).rejects.toBeInstanceOf(ProtocolError);
  });

  it("answers a malformed frame with an error frame naming the field, and the connection lives on", async () => {
    const raw = await rawWs(d.port);
    const clientNonce = newNonce();
    raw.ws.send(JSON.stringify({ type: "hello", protocol: { min: 2, max: 2 }, keyId: keyIdOfToken(d.token), clientNonce }));
    const challenge = await raw.next((f) => f.type === "challenge");
    raw.ws.send(JSON.stringify({ type: "auth", proof: clientProofOf(keyOfToken(d.token), challenge.serverNonce, clientNonce) }));
    const welcome = await raw.next((f) => f.type === "welcome");
    expect(welcome).toMatchObject({ server: { name: "agentd" }, protocol: 2 });
    expect(welcome.methods).toEqual(expect.arrayContaining(["chat.send", "chat.abort", "chat.history", "sessions.list", "sessions.create", "agent.info"]));
    raw.ws.send("{not json");
    expect((await raw.next((f) => f.type === "error")).error.code).toBe("bad_request");
    raw.ws.send(JSON.stringify({ type: "req", id: 7, method: "chat.send", params: { text: 42, idempotencyKey: "k" } }));
    const bad = await raw.next((f) => f.type === "res" && f.id === 7);
    expect(bad).toMatchObject({ ok: false, error: { code: "bad_request", details: { path: "text" } } });
    raw.ws.send(JSON.stringify({ type: "req", id: 8, method: "no.such", params: {} }));
    expect(await raw.next((f) => f.type === "res" && f.id === 8)).toMatchObject({ ok: false, error: { code: "unknown_method" } });
    raw.ws.send(JSON.stringify({ type: "req", id: 9, method: "sessions.list", params: {} }));
    const ok = await raw.next((f) => f.type === "res" && f.id === 9);
    expect(ok.ok).toBe(true);
    expect(Array.isArray(ok.result.sessions)).toBe(true);
    raw.ws.close();
  });

  it("turns a model 500 and a dead model server into a run error, and keeps serving", async () => {
    llm.enqueue({ status: 500, errorMessage: "boom" });
    const res = await d.api("/api/chat", { method: "POST", body: JSON.stringify({ text: "fail please" }) });
    expect(res.status).toBe(502);
    const body = (await res.json()) as { error: { code: string; message: string }; sessionId: string };
    expect(body.error.code).toBe("model_error");
    expect(body.error.message).toContain("500");
    const history = (await (await d.api(`/api/sessions/${body.sessionId}/messages`)).json()) as { messages: Array<{ role: string; status: string; error?: string }> };
    expect(history.messages.at(-1)).toMatchObject({ role: "assistant", status: "error" });
    llm.enqueue({ text: "back again" });
    const after = await d.api("/api/chat", { method: "POST", body: JSON.stringify({ text: "retry", sessionId: body.sessionId }) });
    expect(((await after.json()) as { text: string }).text).toBe("back again");
  });
});

describe("a restart", () => {
  it("keeps the history and continues the chat in the same session", async () => {
    const down = await startFakeLlm();
    const { dir } = await initAgent({ llmUrl: llm.url, edit: noTitles });
    let d = await start(dir);
    const client = await AgentdClient.connect({ agentDir: dir, reconnect: false });
    const first = await client.send("remember the word tangerine");
    await first.result();
    client.close();
    expect(await d.stop()).toBe(0);
    d = await start(dir);
    const res = await d.api("/api/chat", { method: "POST", body: JSON.stringify({ text: "what was the word?", sessionId: first.sessionId }) });
    expect(res.status).toBe(200);
    const sent = llm.requests.at(-1)!.body as { messages: Array<{ role: string; content: string }> };
    expect(sent.messages.map((m) => m.content)).toEqual(expect.arrayContaining(["remember the word tangerine", "You said: remember the word tangerine", "what was the word?"]));
    const history = (await (await d.api(`/api/sessions/${first.sessionId}/messages`)).json()) as { messages: unknown[] };
    expect(history.messages).toHaveLength(4);
    await down.close();
  });

  it("reports a model server that refuses connections as a run error", async () => {
    const gone = await startFakeLlm();
    const url = gone.url;
    await gone.close();
    const { dir } = await initAgent({ llmUrl: url, edit: noTitles });
    const d = await start(dir);
    const res = await d.api("/api/chat", { method: "POST", body: JSON.stringify({ text: "anyone?" }) });
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("model_error");
    expect((await d.api("/api/sessions")).status).toBe(200);
  });
});

describe("the daemon's V8 settings", () => {
  it("applies them in its own process, without a second Node boot: node's arguments stay as given, same pid", async () => {
    const { dir } = await initAgent({ llmUrl: llm.url, edit: noTitles });
    const d = await start(dir);
    const lockPid = Number(readFileSync(join(dir, ".agentd.lock"), "utf8"));
    expect(lockPid).toBe(d.child.pid);
    const cmdline = readFileSync(`/proc/${d.child.pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    // exactly what the test ran: node, the CLI, start, DIR (a re-exec would have added V8 flags)
    expect(cmdline.slice(-2)).toEqual(["start", dir]);
    expect(cmdline.some((a) => a.startsWith("--max-semi-space-size") || a === "--expose-gc")).toBe(false);
    const environ = readFileSync(`/proc/${d.child.pid}/environ`, "utf8").split("\0");
    expect(environ.some((e) => e.startsWith("AGENTD_V8_REEXEC="))).toBe(false);
    expect((await d.api("/api/health")).status).toBe(200);
    expect(await d.stop()).toBe(0);
  });

  it("keeps the young generation at 2 MB per semi-space and hands over gc() when set at run time", () => {
    const memory = join(import.meta.dirname, "..", "dist", "src", "memory.js");
    const script = (apply: boolean) => `
      import { getHeapSpaceStatistics } from "node:v8";
      const m = await import(${JSON.stringify(memory)});
      const set = ${apply} ? m.applyDaemonHeapSettings("") : [];
      let keep = [];
      // in small slices, as a daemon allocates (a message per tick): the settings react after each young-generation
      // GC, so a slice must not span two of them (2e4 objects did on a loaded CI machine: the space grew twice)
      for (let round = 0; round < 400; round++) {
        for (let i = 0; i < 5e3; i++) { keep.push({ a: i, b: "x" + i }); if (keep.length > 20000) keep = []; }
        await new Promise((r) => setTimeout(r, 1));
      }
      const ns = getHeapSpaceStatistics().find((s) => s.space_name === "new_space");
      console.log(JSON.stringify({ set, newSpaceBytes: ns.space_size, released: m.releaseMemory() }));`;
    const run = (apply: boolean) => JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script(apply)], { encoding: "utf8" })) as { set: string[]; newSpaceBytes: number; released: boolean };
    const applied = run(true);
    expect(applied.set).toEqual(["--semi-space-growth-factor=1", `--heap-growing-percent=${HEAP_GROWING_PERCENT}`, ...STARTUP_TIERING_FLAGS, "--expose-gc"]);
    expect(applied.newSpaceBytes).toBeLessThanOrEqual(4.5 * 2 ** 20);
    expect(applied.released).toBe(true);
    // the same allocations without the settings: V8 grows the new space, and there is no gc() to call
    const plain = run(false);
    expect(plain.newSpaceBytes).toBeGreaterThan(8 * 2 ** 20);
    expect(plain.released).toBe(false);
  });

  it("leaves start-up code unoptimized, and optimizes hot code as usual once releaseMemory has run after start", () => {
    const memory = join(import.meta.dirname, "..", "dist", "src", "memory.js");
    // V8's optimization status bit 16: optimized (by Maglev or TurboFan; src/runtime/runtime.h). 2,000 calls: above
    // V8's own Maglev count (400), below the start-up one (4,000)
    const script = `
      const m = await import(${JSON.stringify(memory)});
      m.applyDaemonHeapSettings("");
      // waits for V8's concurrent compile jobs first, so a loaded machine cannot change the answer
      const optimized = (f) => { %WaitForBackgroundOptimization(); %FinalizeOptimization(); return (%GetOptimizationStatus(f) & 16) !== 0; };
      const hot = (x) => { const o = { a: x, b: [x, x + 1] }; return o.b.length + o.a; };
      const again = (x) => { const o = { a: x, b: [x, x + 2] }; return o.b.length + o.a; };
      const spin = async (f) => { for (let round = 0; round < 8; round++) { for (let i = 0; i < 250; i++) f(i); await new Promise((r) => setTimeout(r, 1)); } };
      await spin(hot);
      const duringStart = optimized(hot);
      m.releaseMemory();
      await spin(again);
      console.log(JSON.stringify({ duringStart, afterStart: optimized(again) }));`;
    const out = JSON.parse(execFileSync(process.execPath, ["--allow-natives-syntax", "--input-type=module", "-e", script], { encoding: "utf8" })) as { duringStart: boolean; afterStart: boolean };
    expect(out).toEqual({ duringStart: false, afterStart: true });
  });
});
