/**
 * Faults (issue 7), against real daemons started through the CLI: a broken model server, a hanging MCP tool, a
 * client that stops reading, a locked database, a full disk, and a port range with no free port. Each ends in a
 * typed error, nothing half-written, and a daemon that keeps serving. (`kill -9` mid-run is in
 * tests/client-and-chat.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { closeSync, cpSync, existsSync, mkdirSync, openSync, rmSync, writeSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import Database from "better-sqlite3";
import { startFakeLlm, type FakeLlm } from "./support/fake-llm.js";
import { ROOT, initAgent, runCli, startDaemon, tempDir, waitFor, type RunningDaemon } from "./support/daemon.js";
import { RawWs } from "./support/raw-ws.js";

let llm: FakeLlm;
const daemons: RunningDaemon[] = [];
const wsUrl = (d: RunningDaemon) => `ws://127.0.0.1:${d.port}/ws`;
const lastUser = (body: any): string => body?.messages?.at(-1)?.content ?? "";
let keySeq = 0;
const key = () => `fault-${process.pid}-${++keySeq}`;

beforeAll(async () => {
  llm = await startFakeLlm();
});
afterAll(async () => {
  await Promise.all(daemons.map((d) => d.kill()));
  await llm.close();
});

describe("a broken model server", () => {
  let d: RunningDaemon;
  beforeAll(async () => {
    const { dir } = await initAgent({
      llmUrl: llm.url,
      edit: (c) => {
        c.providers.openai.timeoutMs = 1000;
        c.agent = { ...c.agent, titleSessions: false };
      },
    });
    d = await startDaemon(dir);
    daemons.push(d);
  });

  it("turns 500, 429, a stalled stream, malformed SSE and a dropped stream into typed run errors; the session stays usable", async () => {
    const c = await RawWs.connect(wsUrl(d), d.token);
    const faults = [
      { name: "500", turn: { status: 500 }, code: "model_error" },
      { name: "429", turn: { status: 429 }, code: "rate_limited" },
      { name: "stall", turn: { text: "partial answer that stalls", chunkSize: 4, stallAfterChunks: 3 }, code: "timeout" },
      { name: "malformed", turn: { text: "garbage follows", malformed: true }, code: "model_error" },
      { name: "drop", turn: { text: "cut off mid-stream", chunkSize: 4, dropAfterChunks: 2 }, code: "model_error" },
    ] as const;
    const first = await c.turn("hello", { idempotencyKey: key() });
    const sessionId = first.sessionId;
    for (const f of faults) {
      llm.onRequest((req) => (lastUser(req.body) === `fault ${f.name}` ? f.turn : undefined));
      const t0 = Date.now();
      const bad = await c.turn(`fault ${f.name}`, { idempotencyKey: key(), sessionId });
      expect(bad.final.event, f.name).toBe("run.error");
      expect(bad.final.payload.error.code, f.name).toBe(f.code);
      expect(bad.final.payload.error.message, f.name).not.toMatch(/\n\s+at /);
      if (f.name === "stall") expect(Date.now() - t0).toBeLessThan(5000);
      llm.onRequest(undefined);
      const good = await c.turn(`after ${f.name}`, { idempotencyKey: key(), sessionId });
      expect(good.final.payload.text, f.name).toBe(`You said: after ${f.name}`);
    }
    const hist = (await (await d.api(`/api/sessions/${sessionId}/messages`)).json()) as { messages: Array<{ role: string; status: string }> };
    expect(hist.messages.filter((m) => m.role === "user")).toHaveLength(1 + 2 * faults.length);
    expect(hist.messages.filter((m) => m.role === "assistant" && m.status === "error")).toHaveLength(faults.length);
    await c.close();
  });

  it("reports a model server that refuses connections, and recovers when it is back", async () => {
    const flaky = await startFakeLlm();
    const port = flaky.port;
    const { dir } = await initAgent({ llmUrl: flaky.url, edit: (c) => (c.agent = { ...c.agent, titleSessions: false }) });
    const dd = await startDaemon(dir);
    daemons.push(dd);
    await flaky.close();
    const c = await RawWs.connect(wsUrl(dd), dd.token);
    const bad = await c.turn("anyone there?", { idempotencyKey: key() });
    expect(bad.final.event).toBe("run.error");
    expect(bad.final.payload.error).toMatchObject({ code: "model_error", retryable: true });
    const back = await startFakeLlm({ port });
    const good = await c.turn("back again", { idempotencyKey: key(), sessionId: bad.sessionId });
    expect(good.final.payload.text).toBe("You said: back again");
    expect((await dd.api("/api/health")).status).toBe(200);
    await c.close();
    await back.close();
  });
});

describe("an MCP server that hangs on a call", () => {
  it("times the tool out, tells the model, and the run goes on", async () => {
    const everything = join(ROOT, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");
    const { dir } = await initAgent({
      llmUrl: llm.url,
      edit: (c) => {
        c.agent = { ...c.agent, toolTimeoutMs: 400, titleSessions: false };
        c.mcp = { servers: { everything: { command: process.execPath, args: [everything, "stdio"], callTimeoutMs: 400 } } };
      },
    });
    const d = await startDaemon(dir);
    daemons.push(d);
    const tool = "everything__trigger-long-running-operation";
    await waitFor(async () => JSON.stringify(await (await d.api("/api/mcp")).json()).includes(tool), "the MCP tools", 15_000);
    llm.onRequest((req) => {
      if (lastUser(req.body) === "run the long thing") return { toolCalls: [{ name: tool, arguments: '{"duration":30,"steps":3}' }] };
      if (req.body.messages.at(-1)?.role === "tool") return { text: `tool said: ${req.body.messages.at(-1).content}` };
      return undefined;
    });
    const c = await RawWs.connect(wsUrl(d), d.token);
    const t0 = Date.now();
    const t = await c.turn("run the long thing", { idempotencyKey: key() });
    llm.onRequest(undefined);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(t.final.event).toBe("run.done");
    expect(t.final.payload.text).toMatch(/^tool said: Error: .*timed out after 400 ms/);
    const result = t.events.find((e) => e.event === "run.tool" && e.payload.phase === "result");
    expect(result?.payload).toMatchObject({ name: tool, isError: true });
    const next = await c.turn("still there?", { idempotencyKey: key(), sessionId: t.sessionId });
    expect(next.final.payload.text).toBe("You said: still there?");
    await c.close();
  });
});

describe("a client that stops reading", () => {
  it("is closed with 4408 once its unsent bytes pass the 8 MiB cap, and the daemon drops the rest", async () => {
    // replies of 4 MiB: above the default agent.maxReplyChars (200,000), so the cap is raised for this test
    const { dir } = await initAgent({ llmUrl: llm.url, edit: (c) => (c.agent = { ...c.agent, titleSessions: false, maxReplyChars: 5_000_000 }) });
    const d = await startDaemon(dir);
    daemons.push(d);
    const RUNS = 10;
    const reply = "y".repeat(4 * 1024 * 1024); // 10 × 4 MiB = 40 MiB of deltas, 5× the cap
    llm.onRequest((req) => (lastUser(req.body).startsWith("flood") ? { text: reply, chunkSize: 64 * 1024 } : undefined));
    const openConnections = async () => (await (await d.api("/metrics")).text()).match(/^agentd_open_connections (\d+)/m)?.[1];
    const runsDone = async () => {
      const s = (await (await d.api("/api/sessions?limit=1000")).json()) as { sessions: Array<{ messageCount: number }> };
      return s.sessions.reduce((n, x) => n + x.messageCount, 0) / 2;
    };
    const c = await RawWs.connect(wsUrl(d), d.token, { record: false });
    const sock = (c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    sock.pause(); // stop reading: the kernel's socket buffers fill, then the daemon's
    // one run at a time, each in its own session: what is measured is the connection, not a growing history
    for (let i = 0; i < RUNS; i++) {
      c.send({ type: "req", id: `flood-${i}`, method: "chat.send", params: { text: `flood ${i}`, idempotencyKey: key() } });
      await waitFor(async () => (await runsDone()) >= i + 1, `flood run ${i + 1}`, 20_000, 25);
    }
    llm.onRequest(undefined);
    expect(d.output()).toContain("slow consumer");
    let received = 0;
    c.ws.on("message", (data: Buffer) => (received += data.length));
    sock.resume();
    const closed = await c.closed;
    expect(closed.code).toBe(4408);
    expect(closed.reason).toMatch(/slow consumer/);
    // what reached the client: the daemon's 8 MiB cap plus what the kernel's socket buffers held, not the 40 MiB
    expect(received).toBeGreaterThan(4 * 1024 * 1024);
    expect(received).toBeLessThan(20 * 1024 * 1024);
    // the closed connection is gone from the daemon, which keeps serving
    await waitFor(async () => (await openConnections()) === "0", "the connection to be released");
    const other = await RawWs.connect(wsUrl(d), d.token);
    expect((await other.turn("fine?", { idempotencyKey: key() })).final.payload.text).toBe("You said: fine?");
    await other.close();
  });
});

describe("storage faults", () => {
  it("answers chat.send with storage_error while another process holds the database's write lock, and writes nothing", async () => {
    const { dir } = await initAgent({ llmUrl: llm.url, edit: (c) => (c.agent = { ...c.agent, titleSessions: false }) });
    // the busy timeout is 5 s in production; 150 ms here keeps the test fast (same code path)
    const d = await startDaemon(dir, { env: { AGENTD_DB_BUSY_TIMEOUT_MS: "150" } });
    daemons.push(d);
    const c = await RawWs.connect(wsUrl(d), d.token);
    const warm = await c.turn("before the lock", { idempotencyKey: key() });
    const db = new Database(join(dir, "agentd.db"));
    db.exec("BEGIN EXCLUSIVE");
    const k = key();
    const res = await c.request("chat.send", { text: "during the lock", idempotencyKey: k, sessionId: warm.sessionId });
    expect(res.ok).toBe(false);
    expect(res.error).toMatchObject({ code: "storage_error", retryable: true });
    expect((await d.api(`/api/sessions/${warm.sessionId}/messages`)).status).toBe(200); // reads go on
    db.exec("ROLLBACK");
    const n = (sql: string, ...args: unknown[]) => (db.prepare(sql).get(...args) as { n: number }).n;
    expect(n("select count(*) n from messages where content = 'during the lock'")).toBe(0);
    expect(n("select count(*) n from runs where idempotency_key = ?", k)).toBe(0);
    const again = await c.turn("during the lock", { idempotencyKey: k, sessionId: warm.sessionId });
    expect(again.final.payload.text).toBe("You said: during the lock");
    expect(n("select count(*) n from messages where content = 'during the lock'")).toBe(1);
    db.close();
    await c.close();
  });

  it("answers chat.send with storage_error when the disk is full, writes nothing, and recovers once there is room", async () => {
    const src = await initAgent({ llmUrl: llm.url, edit: (c) => (c.agent = { ...c.agent, titleSessions: false }) });
    const mnt = join(tempDir("agentd-diskfull-"), "mnt");
    mkdirSync(mnt);
    // a small tmpfs: a real ENOSPC (needs root or CAP_SYS_ADMIN, as in CI's container)
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=6m", "tmpfs", mnt]);
    try {
      const dir = join(mnt, "agent");
      cpSync(src.dir, dir, { recursive: true });
      const d = await startDaemon(dir);
      daemons.push(d);
      const c = await RawWs.connect(wsUrl(d), d.token);
      const warm = await c.turn("before the disk fills", { idempotencyKey: key() });
      const filler = join(mnt, "filler");
      const fd = openSync(filler, "w");
      const block = Buffer.alloc(64 * 1024, 1);
      try {
        for (;;) writeSync(fd, block);
      } catch (err) {
        expect((err as NodeJS.ErrnoException).code).toBe("ENOSPC");
      }
      closeSync(fd);
      const big = "z".repeat(60_000);
      let failedKey = "";
      let error: any;
      for (let i = 0; i < 40 && !failedKey; i++) {
        const k = key();
        const res = await c.request("chat.send", { text: `${i} ${big}`, idempotencyKey: k, sessionId: warm.sessionId });
        if (!res.ok) {
          failedKey = k;
          error = res.error;
        } else await c.next((f) => f.type === "event" && f.payload.runId === res.result.runId && (f.event === "run.done" || f.event === "run.error"));
      }
      expect(error).toMatchObject({ code: "storage_error", retryable: true });
      expect(error.message).toMatch(/SQLITE_FULL/);
      expect((await d.api("/api/health")).status).toBe(200);
      const db = new Database(join(dir, "agentd.db"), { readonly: true });
      expect((db.prepare("select count(*) n from runs where idempotency_key = ?").get(failedKey) as { n: number }).n).toBe(0);
      db.close();
      rmSync(filler);
      const again = await c.turn("room again", { idempotencyKey: failedKey, sessionId: warm.sessionId });
      expect(again.final.payload.text).toBe("You said: room again");
      await c.close();
      await d.stop();
    } finally {
      execFileSync("umount", ["-l", mnt]);
    }
  });
});

describe("a port range with no free port", () => {
  it("stops with an error naming the whole range and a non-zero exit code", async () => {
    const servers: Server[] = [];
    let base = 0;
    const listen = (port: number) =>
      new Promise<Server | undefined>((resolve) => {
        const s = createServer();
        s.once("error", () => resolve(undefined));
        s.listen(port, "127.0.0.1", () => resolve(s));
      });
    for (let attempt = 0; attempt < 20 && base === 0; attempt++) {
      const from = 20_000 + Math.floor(Math.random() * 40_000);
      const got = await Promise.all(Array.from({ length: 100 }, (_, i) => listen(from + i)));
      if (got.every(Boolean)) {
        base = from;
        servers.push(...(got as Server[]));
      } else await Promise.all(got.map((s) => s && new Promise((r) => s.close(r))));
    }
    expect(base).toBeGreaterThan(0);
    try {
      const { dir } = await initAgent({ llmUrl: llm.url, port: base });
      const r = await runCli(["start", dir]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`no free port in ${base}-${base + 99} on 127.0.0.1 (all 100 are busy)`);
      expect(existsSync(join(dir, ".port"))).toBe(false);
    } finally {
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    }
  });
});
