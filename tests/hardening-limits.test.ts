// Issue 17 on a real daemon: a run's output is capped (item 6); hostile shapes and paths get typed 4xx answers
// (item 7: deep JSON, long upload names, a note under a file, symlinks back into the vault).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakeLlm, type FakeLlm } from "./support/fake-llm.js";
import { chatRequests, collect, scriptSideCalls } from "./support/agent-llm.js";
import { cleanup, initAgent, startDaemon, type RunningDaemon } from "./support/daemon.js";
import { AgentdClient } from "../protocol/client.js";

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
