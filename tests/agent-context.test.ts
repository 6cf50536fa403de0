import { describe, it, expect, beforeAll, afterAll, beforeEach } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startFakeLlm, type FakeLlm } from "./support/fake-llm.js";
import { initAgent, startDaemon, cleanup, type RunningDaemon } from "./support/daemon.js";
import { chatRequests, scriptSideCalls, systemPrompt, SCRIPTED_SUMMARY } from "./support/agent-llm.js";
import { AgentdClient } from "../protocol/client.js";

let llm: FakeLlm;
const dirs: string[] = [];
const daemons: RunningDaemon[] = [];
const clients: AgentdClient[] = [];

async function agent(edit?: (cfg: Record<string, any>) => void): Promise<{ daemon: RunningDaemon; client: AgentdClient; dir: string }> {
  const { dir } = await initAgent({ llmUrl: llm.url, ...(edit ? { edit } : {}) });
  dirs.push(dir);
  const daemon = await startDaemon(dir);
  daemons.push(daemon);
  const client = await AgentdClient.connect({ url: daemon.url, token: daemon.token });
  clients.push(client);
  return { daemon, client, dir };
}

beforeAll(async () => {
  llm = await startFakeLlm();
});
afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all(daemons.map((d) => d.stop()));
  await llm?.close();
  for (const d of dirs) cleanup(d);
});
beforeEach(() => {
  llm.reset();
  scriptSideCalls(llm);
});

describe("context of a fresh agent", () => {
  let fresh: Awaited<ReturnType<typeof agent>>;
  beforeAll(async () => {
    fresh = await agent();
  });

  it("keeps the request for a one-word message under 6 KB, with the built-in tools", async () => {
    await (await fresh.client.send("Hi")).result();
    const [req] = chatRequests(llm);
    expect(req!.rawBytes).toBeLessThan(6 * 1024);
    const tools = req!.body.tools.map((t: any) => t.function.name);
    expect(tools).toEqual(expect.arrayContaining(["current_time", "memory_read", "memory_append"]));
    for (const t of req!.body.tools) expect(t.function.description.length).toBeLessThanOrEqual(160);
    expect(systemPrompt(req!)).not.toContain("<!--"); // template comments are for humans
  });

  it("puts edits of SOUL.md into the next request's system prompt", async () => {
    writeFileSync(join(fresh.dir, "SOUL.md"), "You are Captain Nemo. Answer like a sailor.\n");
    await (await fresh.client.send("Ahoy")).result();
    const prompt = systemPrompt(chatRequests(llm)[0]!);
    expect(prompt.startsWith("You are Captain Nemo. Answer like a sailor.")).toBe(true);
    expect(prompt).toMatch(/Now: .*\d{4}.*\d{2}:\d{2} \(.+\)/);
  });

  it("saves a memory with memory_append; it is in MEMORY.md and in the next turn's system prompt", async () => {
    llm.enqueue({ toolCalls: [{ name: "memory_append", arguments: '{"text":"Ann prefers green tea"}' }] }, { text: "Noted." });
    await (await fresh.client.send("I prefer green tea")).result();
    const memory = readFileSync(join(fresh.dir, "MEMORY.md"), "utf8");
    expect(memory).toMatch(/\n- \[\d{4}-\d{2}-\d{2} \d{2}:\d{2} [^\]]+\] Ann prefers green tea\n$/);
    await (await fresh.client.send("What do I drink?")).result();
    expect(systemPrompt(chatRequests(llm)[2]!)).toMatch(/## Memory\n- \[.+\] Ann prefers green tea/);
  });
});

describe("context of channel messages and long sessions", () => {
  let small: Awaited<ReturnType<typeof agent>>;
  const contextTokens = 4096;
  const budgetTokens = contextTokens - contextTokens / 4; // the output reserve of a model without maxOutputTokens
  beforeAll(async () => {
    small = await agent((cfg) => {
      cfg.models.main.contextTokens = contextTokens;
      cfg.channels = { telegram: { policy: "open" } };
    });
  });

  it("names the source of a channel message in the system prompt", async () => {
    const run = await small.client.send("hello from telegram", {
      channel: { platform: "telegram", chatId: "42", userId: "1001", userName: "ann" },
    });
    expect((await run.result()).status).toBe("ok");
    expect(systemPrompt(chatRequests(llm)[0]!)).toContain("This message came [via telegram, chat 42, user @ann]");
  });

  it("compacts a session past the budget into a stored summary; the next request fits the budget", async () => {
    const first = await small.client.send(`message 1: ${"rain ".repeat(400)}`);
    await first.result();
    for (let i = 2; i <= 5; i++) await (await small.client.send(`message ${i}: ${"rain ".repeat(400)}`, { sessionId: first.sessionId })).result();

    const chats = chatRequests(llm);
    expect(chats).toHaveLength(5);
    const estimate = (body: any) => Math.ceil((JSON.stringify(body.messages).length + JSON.stringify(body.tools ?? []).length) / 4);
    for (const r of chats) expect(estimate(r.body)).toBeLessThanOrEqual(budgetTokens);
    const compactedAt = chats.findIndex((r) => r.body.messages.some((m: any) => m.role === "system" && m.content.includes(SCRIPTED_SUMMARY)));
    expect(compactedAt).toBeGreaterThan(0);
    const after = chats[compactedAt]!.body.messages;
    expect(after[1]).toEqual({ role: "system", content: `Summary of the earlier conversation:\n${SCRIPTED_SUMMARY}` });
    expect(after.at(-1).content).toMatch(new RegExp(`^message ${compactedAt + 1}: `));
    expect(after.some((m: any) => typeof m.content === "string" && m.content.startsWith("message 1:"))).toBe(false);

    const { messages } = (await (await small.daemon.api(`/api/sessions/${first.sessionId}/messages?limit=100`)).json()) as { messages: any[] };
    expect(messages.filter((m) => m.role === "summary").length).toBeGreaterThanOrEqual(1);
    expect(messages.filter((m) => m.role === "user")).toHaveLength(5); // the originals stay
    const usage = (await (await small.daemon.api("/api/usage")).json()) as any;
    expect(usage.total.calls).toBeGreaterThanOrEqual(7); // chats, the title and at least one summary
  });
});
