// Issue 17 on a real daemon: a run's output is capped (item 6); hostile shapes and paths get typed 4xx answers
// (item 7: deep JSON, long upload names, a note under a file, symlinks back into the vault).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startFakeLlm, type FakeLlm } from "./support/fake-llm.js";
import { chatRequests, collect, scriptSideCalls } from "./support/agent-llm.js";
import { cleanup, initAgent, startDaemon, type RunningDaemon } from "./support/daemon.js";
import { AgentdClient } from "../protocol/client.js";
import { RawWs } from "./support/raw-ws.js";

const MAX_REPLY_CHARS = 5_000;
let llm: FakeLlm;
let d: RunningDaemon;
let client: AgentdClient;
let dir: string;
const json = async (res: Response): Promise<any> => res.json();

beforeAll(async () => {
  llm = await startFakeLlm();
  ({ dir } = await initAgent({ llmUrl: llm.url, edit: (cfg) => (cfg.agent = { maxReplyChars: MAX_REPLY_CHARS }) }));
  d = await startDaemon(dir);
  client = await AgentdClient.connect({ url: d.url, token: d.token });
});
afterAll(async () => {
  client?.close();
  await d?.kill();
  await llm?.close();
  if (dir) cleanup(dir);
});
beforeEach(() => {
  llm.reset();
  scriptSideCalls(llm);
});

describe("a run's output is capped at agent.maxReplyChars (item 6)", () => {
  it("ends a reply that streams past the cap with status max_length and the partial text, without reading the rest", async () => {
    const digits = "0123456789".repeat(3_000);
    // 8,000 characters, then the stream stalls forever: only a run that stops reading at the cap ends
    scriptSideCalls(llm, () => ({ text: digits, chunkSize: 100, stallAfterChunks: 80 }));
    const run = await client.send("tell me everything");
    const events = await collect(run);
    const done = events.at(-1)!;
    expect(done.event).toBe("run.done");
    const payload = done.payload as { status: string; text: string; messageId: string };
    expect(payload.status).toBe("max_length");
    expect(payload.text.startsWith(digits.slice(0, MAX_REPLY_CHARS))).toBe(true);
    expect(payload.text.slice(MAX_REPLY_CHARS)).toMatch(/^\n\n\(Stopped: the reply reached the limit of 5,000 characters/);
    expect(events.filter((e) => e.event === "run.delta").map((e) => (e.payload as { text: string }).text).join("")).toBe(payload.text);
    const { messages } = await json(await d.api(`/api/sessions/${run.sessionId}/messages`));
    expect(messages.at(-1)).toMatchObject({ role: "assistant", id: payload.messageId, content: payload.text });
  });

  it("counts streamed tool-call arguments too: a tool call past the cap is not run", async () => {
    scriptSideCalls(llm, () => ({ text: "Let me write it down.", toolCalls: [{ name: "memory_append", arguments: JSON.stringify({ text: "y".repeat(20_000) }) }] }));
    const events = await collect(await client.send("remember a lot"));
    expect(events.some((e) => e.event === "run.tool")).toBe(false);
    expect(events.at(-1)!.payload).toMatchObject({ status: "max_length" });
    expect(chatRequests(llm)).toHaveLength(1);
  });

  it("documents the default in the config in force", async () => {
    const res = await d.api("/api/config/agent", { method: "PATCH", body: JSON.stringify({ maxReplyChars: null }) });
    expect((await json(res)).config.agent.maxReplyChars).toBe(200_000);
  });
});

describe("hostile shapes and paths get typed 4xx answers (item 7)", () => {
  const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;

  it("answers 400 to deeply nested JSON in a config patch or a note's frontmatter, over REST and WebSocket", async () => {
    const before = readFileSync(join(dir, "agentd.yaml"), "utf8");
    let res = await d.api("/api/config/agent", { method: "PATCH", body: `{"x":${deepObject(20_000)}}` });
    expect(res.status).toBe(400);
    expect((await json(res)).error).toMatchObject({ code: "bad_request", details: { path: "body" } });
    res = await d.api("/api/vault/notes/deep.md", { method: "PUT", body: `{"frontmatter":{"x":${deepObject(20_000)}}}` });
    expect(res.status).toBe(400);
    expect((await json(res)).error.message).toMatch(/nested deeper than 64/);
    // over WebSocket the frame itself is refused, and the connection stays usable
    const ws = await RawWs.connect(d.url.replace("http", "ws") + "/ws", d.token);
    try {
      ws.send(`{"type":"req","id":7,"method":"vault.write","params":{"path":"deep.md","frontmatter":{"x":${deepObject(20_000)}}}}`);
      const res = await ws.next((f) => f.type === "res" && f.id === 7);
      expect(res).toMatchObject({ ok: false, error: { code: "bad_request" } });
      expect(res.error.message).toMatch(/nested deeper than 64/);
      expect(await ws.request("vault.write", { path: "shallow.md", frontmatter: JSON.parse(`{"x":${deepObject(10)}}`), content: "ok" })).toMatchObject({ ok: true, result: { created: true } });
    } finally {
      await ws.close();
    }
    expect(readFileSync(join(dir, "agentd.yaml"), "utf8")).toBe(before);
    expect(existsSync(join(dir, "vault", "deep.md"))).toBe(false);
    expect((await d.api("/api/health")).status).toBe(200);
  });

  it("cuts long upload names by UTF-8 bytes on a character boundary; the answer names the file on disk", async () => {
    for (const name of [`${"文".repeat(99)}.txt`, `${"😀".repeat(150)}.png`, `${"é".repeat(300)}`]) {
      const form = new FormData();
      form.append("file", new Blob([Buffer.from("hello")]), name);
      const res = await fetch(`${d.url}/api/upload`, { method: "POST", body: form, headers: { authorization: `Bearer ${d.token}` } });
      expect(res.status, name).toBe(201);
      const body = await json(res);
      const stored = body.path.slice("uploads/".length);
      expect(readdirSync(join(dir, "uploads"))).toContain(stored);
      expect(readFileSync(join(dir, body.path), "utf8")).toBe("hello");
      expect(Buffer.byteLength(stored)).toBeLessThanOrEqual(255);
      expect(Buffer.from(body.filename).toString()).toBe(body.filename);
      expect(stored.endsWith(body.filename)).toBe(true);
      if (name.includes(".")) expect(body.filename.endsWith(name.slice(name.lastIndexOf(".")))).toBe(true);
    }
  });

  it("answers 409 to a note under a path whose parent is a note, and writes nothing", async () => {
    expect((await d.api("/api/vault/notes/parent.md", { method: "PUT", body: JSON.stringify({ content: "x" }) })).status).toBe(200);
    const res = await d.api("/api/vault/notes/parent.md/child.md", { method: "PUT", body: JSON.stringify({ content: "y" }) });
    expect(res.status).toBe(409);
    const { error } = await json(res);
    expect(error).toMatchObject({ code: "conflict" });
    expect(error.retryable).toBeUndefined();
    expect(error.message).toContain("parent.md");
    expect(readFileSync(join(dir, "vault", "parent.md"), "utf8")).toBe("x");
  });

  it("reaches a note by its real path only: a symlink back into the vault or the agent folder is refused", async () => {
    mkdirSync(join(dir, "vault", "real"), { recursive: true });
    writeFileSync(join(dir, "vault", "real", "only-once.md"), "zebracorn appears once");
    symlinkSync("..", join(dir, "vault", "agent-folder"));
    symlinkSync("real", join(dir, "vault", "alias"));
    expect((await d.api("/api/vault/notes/real/only-once.md")).status).toBe(200);
    for (const path of ["agent-folder/vault/real/only-once.md", "alias/only-once.md", "agent-folder/vault/new.md", "alias/new.md"]) {
      for (const method of ["GET", "PUT", "DELETE"]) {
        const res = await d.api(`/api/vault/notes/${path}`, { method, ...(method === "PUT" ? { body: JSON.stringify({ content: "zebracorn again" }) } : {}) });
        expect(res.status, `${method} ${path}`).toBe(400);
        expect((await json(res)).error.message).toMatch(/symlink/);
      }
    }
    const search = await json(await d.api("/api/vault/search?q=zebracorn"));
    expect(search.hits.map((h: { path: string }) => h.path)).toEqual(["real/only-once.md"]);
    const list = await json(await d.api("/api/vault/notes"));
    expect(list.notes.filter((n: { path: string }) => n.path.endsWith("only-once.md")).map((n: { path: string }) => n.path)).toEqual(["real/only-once.md"]);
    expect(existsSync(join(dir, "vault", "real", "new.md"))).toBe(false);
  });
});
