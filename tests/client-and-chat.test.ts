import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { join } from "node:path";
import Database from "better-sqlite3";
import { startFakeLlm, type FakeLlm } from "./support/fake-llm.js";
import { CLI, ROOT, initAgent, startDaemon, waitFor, type RunningDaemon } from "./support/daemon.js";
import { AgentdClient } from "../protocol/client.js";

let llm: FakeLlm;
/** Session titles would take scripted replies meant for chat turns; they are tested in tests/agent-*.test.ts. */
const noTitles = (c: Record<string, any>) => (c.agent = { ...c.agent, titleSessions: false });
const daemons: RunningDaemon[] = [];

beforeAll(async () => {
  llm = await startFakeLlm();
});
afterAll(async () => {
  await Promise.all(daemons.map((d) => d.kill()));
  await llm.close();
});

describe("agentd chat (terminal)", () => {
  it("streams replies, starts a new session with /new and leaves with /quit", async () => {
    const { dir } = await initAgent({ llmUrl: llm.url, edit: noTitles });
    const d = await startDaemon(dir);
    daemons.push(d);
    const child = spawn(process.execPath, [CLI, "chat", dir], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (b) => (out += b));
    child.stderr.on("data", (b) => (out += b));
    const exited = new Promise<number | null>((r) => child.on("exit", r));
    await waitFor(() => out.includes("you> "), "the prompt");
    child.stdin.write("hello terminal\n");
    await waitFor(() => out.includes("agent> You said: hello terminal"), "the reply");
    child.stdin.write("/new\n");
    await waitFor(() => out.includes("Started a new session (#2)"), "/new");
    child.stdin.write("second session\n");
    await waitFor(() => out.includes("You said: second session"), "the second reply");
    child.stdin.write("/quit\n");
    expect(await exited).toBe(0);
    const sessions = (await (await d.api("/api/sessions")).json()) as { sessions: Array<{ messageCount: number }> };
    // the first session also holds /new and the daemon's answer to it (kept out of the model's context), as in the bridges
    expect(sessions.sessions.map((s) => s.messageCount)).toEqual([2, 4]);
    // the terminal reads its replies as run events: nothing waits in the outbox for a bridge that does not exist
    const deliveries = (await (await d.api("/api/deliveries")).json()) as { deliveries: unknown[] };
    expect(deliveries.deliveries).toEqual([]);
  });
});

describe("the protocol client across a daemon crash", () => {
  it("resends an unfinished message with the same idempotency key after kill -9 and gets exactly one answer", async () => {
    const { dir } = await initAgent({ llmUrl: llm.url, edit: noTitles });
    let d = await startDaemon(dir);
    const client = await AgentdClient.connect({ agentDir: dir, backoffInitialMs: 50, backoffMaxMs: 200 });
    const states: string[] = [];
    client.onState((s) => states.push(s));
    // the first attempt stalls mid-stream; the daemon dies while it streams
    llm.enqueue({ text: "this reply never finishes", chunkSize: 3, stallAfterChunks: 3 });
    const deltas: string[] = [];
    client.onEvent((ev) => {
      if (ev.event === "run.delta") deltas.push(ev.payload.text);
    });
    const run = await client.send("survive the crash", { idempotencyKey: "crash-key-1" });
    await waitFor(() => deltas.length > 0, "the first delta");
    await d.kill();
    // after restart the run is marked interrupted, then re-run by the client's resend
    llm.enqueue({ text: "answered after the restart" });
    d = await startDaemon(dir);
    daemons.push(d);
    const done = await run.result().catch((e: unknown) => e);
    client.close();
    expect(states).toContain("reconnecting");
    expect(done).toMatchObject({ status: "ok", text: "answered after the restart", runId: run.runId });
    const db = new Database(join(dir, "agentd.db"), { readonly: true });
    const users = db.prepare("select count(*) n from messages where role = 'user' and content = 'survive the crash'").get() as { n: number };
    const answers = db.prepare("select content, status from messages where role = 'assistant' and run_id = ?").all(run.runId);
    const runs = db.prepare("select status from runs where idempotency_key = 'crash-key-1'").all();
    db.close();
    expect(users.n).toBe(1);
    expect(answers).toEqual([{ content: "answered after the restart", status: "ok" }]);
    expect(runs).toEqual([{ status: "ok" }]);
  });

  it("queues a message sent while the daemon is down and sends it once it is back", async () => {
    const { dir } = await initAgent({ llmUrl: llm.url, edit: noTitles });
    let d = await startDaemon(dir);
    const client = await AgentdClient.connect({ agentDir: dir, backoffInitialMs: 50, backoffMaxMs: 200 });
    await d.stop();
    await waitFor(() => client.info && true, "client state");
    const pending = client.send("sent during the gap", { idempotencyKey: "gap-1" });
    await new Promise((r) => setTimeout(r, 300));
    d = await startDaemon(dir);
    daemons.push(d);
    const run = await pending;
    expect((await run.result()).text).toBe("You said: sent during the gap");
    client.close();
  });
});
