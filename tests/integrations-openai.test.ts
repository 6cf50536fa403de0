import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import OpenAI from "openai";
import { startFakeLlm, type FakeLlm } from "./support/fake-llm.js";
import { initAgent, startDaemon, tempDir, type RunningDaemon } from "./support/daemon.js";
import { RECALL_QUESTION, recallRule } from "./support/recall-rule.js";

const run = promisify(execFile);

/**
 * A venv with the official `openai` Python package, made by this test with `python3 -m venv` and pip (from PyPI).
 * Kept in ~/.cache/agentd-test/ and reused while `import openai` works, since pip costs a minute or two on a
 * busy machine; started when the file loads so it overlaps with the npm-client tests.
 */
async function openAiVenv(): Promise<string> {
  const venv = join(homedir(), ".cache", "agentd-test", "openai-venv");
  const py = join(venv, "bin", "python");
  if (existsSync(py) && (await run(py, ["-c", "import openai"]).then(() => true, () => false))) return py;
  rmSync(venv, { recursive: true, force: true });
  mkdirSync(dirname(venv), { recursive: true });
  await run("python3", ["-m", "venv", venv]);
  await run(py, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "openai"], { timeout: 300_000 });
  return py;
}
const python = openAiVenv();
python.catch(() => undefined); // awaited (and reported) by the Python test

let llm: FakeLlm;
let d: RunningDaemon;
let client: OpenAI;

beforeAll(async () => {
  llm = await startFakeLlm();
  llm.onRequest(recallRule);
  const { dir } = await initAgent({ llmUrl: llm.url, edit: (c) => (c.agent = { ...c.agent, titleSessions: false }) });
  d = await startDaemon(dir);
  client = new OpenAI({ baseURL: `${d.url}/v1`, apiKey: d.token, maxRetries: 0 });
});
afterAll(async () => {
  await d?.kill();
  await llm?.close();
});

describe("/v1 with the openai npm package", () => {
  it("lists the agent and its models", async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toEqual(["agent", "agent/main"]);
  });

  it("answers without streaming, with usage; the same user continues the same session", async () => {
    const first = await client.chat.completions.create({ model: "agent", user: "npm-user", messages: [{ role: "user", content: "my name is Ada" }] });
    expect(first.object).toBe("chat.completion");
    expect(first.choices[0]!.message.content).toBe("You said: my name is Ada");
    expect(first.choices[0]!.finish_reason).toBe("stop");
    expect(first.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(first.usage!.completion_tokens).toBeGreaterThan(0);
    expect(first.usage!.total_tokens).toBe(first.usage!.prompt_tokens + first.usage!.completion_tokens);
    // the caller sends only the new message: the agent keeps the history of the session keyed by `user`
    const second = await client.chat.completions.create({ model: "agent", user: "npm-user", messages: [{ role: "user", content: RECALL_QUESTION }] });
    expect(second.choices[0]!.message.content).toBe("Your first message was: my name is Ada");
    const other = await client.chat.completions.create({ model: "agent", user: "someone-else", messages: [{ role: "user", content: RECALL_QUESTION }] });
    expect(other.choices[0]!.message.content).toBe(`Your first message was: ${RECALL_QUESTION}`);
  });

  it("streams chunks, then the usage chunk with stream_options.include_usage, continuing the session", async () => {
    await client.chat.completions.create({ model: "agent/main", user: "npm-stream", messages: [{ role: "user", content: "streamed hello" }] });
    const stream = await client.chat.completions.create({
      model: "agent/main", user: "npm-stream", stream: true, stream_options: { include_usage: true },
      messages: [{ role: "user", content: RECALL_QUESTION }],
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    let finish: string | null | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      if (chunk.choices[0]?.delta.content) text += chunk.choices[0].delta.content;
      if (chunk.choices[0]?.finish_reason) finish = chunk.choices[0].finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe("Your first message was: streamed hello");
    expect(finish).toBe("stop");
    expect(chunks).toBeGreaterThanOrEqual(3);
    expect(usage!.prompt_tokens).toBeGreaterThan(0);
    expect(usage!.completion_tokens).toBeGreaterThan(0);
  });

  it("runs a whole conversation without a session key in a fresh session that holds it", async () => {
    const r = await client.chat.completions.create({
      model: "agentd", messages: [
        { role: "system", content: "ignored: the agent has its own SOUL.md" },
        { role: "user", content: "the password is swordfish" },
        { role: "assistant", content: "Noted." },
        { role: "user", content: RECALL_QUESTION },
      ],
    });
    expect(r.choices[0]!.message.content).toBe("Your first message was: the password is swordfish");
    const sent = llm.requests.at(-1)!.body.messages as Array<{ role: string; content: string }>;
    expect(sent.filter((m) => m.role !== "system").map((m) => m.content)).toEqual(["the password is swordfish", "Noted.", RECALL_QUESTION]);
    expect(sent.some((m) => m.content.includes("ignored: the agent"))).toBe(false);
  });

  it("uses the X-Session-Id header as the session key, and names the session and run in its answer headers", async () => {
    const opts = { headers: { "X-Session-Id": "header-key" } };
    const first = await client.chat.completions.create({ model: "agent", messages: [{ role: "user", content: "keyed by header" }] }, opts).withResponse();
    const sessionId = first.response.headers.get("x-agentd-session-id");
    expect(sessionId).toMatch(/^s_/);
    expect(first.data.id).toBe(`chatcmpl-${first.response.headers.get("x-agentd-run-id")}`);
    const r = await client.chat.completions.create({ model: "agent", stream: true, messages: [{ role: "user", content: RECALL_QUESTION }] }, opts).withResponse();
    expect(r.response.headers.get("x-agentd-session-id")).toBe(sessionId);
    let text = "";
    for await (const chunk of r.data) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("Your first message was: keyed by header");
    const history = (await (await d.api(`/api/sessions/${sessionId}/messages`)).json()) as { messages: Array<{ role: string; content: string }> };
    expect(history.messages.map((m) => m.content)).toEqual(["keyed by header", "You said: keyed by header", RECALL_QUESTION, "Your first message was: keyed by header"]);
  });

  it("answers errors in OpenAI's shape with the SDK's error classes", async () => {
    const wrongKey = new OpenAI({ baseURL: `${d.url}/v1`, apiKey: "not-the-token", maxRetries: 0 });
    await expect(wrongKey.chat.completions.create({ model: "agent", messages: [{ role: "user", content: "hi" }] })).rejects.toMatchObject({ status: 401, code: "invalid_api_key" });
    await expect(client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }))
      .rejects.toMatchObject({ status: 404, code: "model_not_found", param: "model" });
    await expect(client.chat.completions.create({ model: "agent/nope", messages: [{ role: "user", content: "hi" }] })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(client.chat.completions.create({ model: "agent", messages: [{ role: "assistant", content: "hi" }] }))
      .rejects.toMatchObject({ status: 400, type: "invalid_request_error", param: "messages[0].role" });
    llm.enqueue({ status: 500 });
    await expect(client.chat.completions.create({ model: "agent", messages: [{ role: "user", content: "hi" }] })).rejects.toMatchObject({ status: 502, code: "model_error" });
    // streaming: the 200 and the first chunk are out when the model fails, so the error comes as a data line
    llm.enqueue({ status: 500 });
    const stream = await client.chat.completions.create({ model: "agent", stream: true, messages: [{ role: "user", content: "hi" }] });
    await expect((async () => {
      for await (const _chunk of stream) { /* drain */ }
    })()).rejects.toMatchObject({ code: "model_error" });
  });
});

describe("/v1 with the openai Python package (pip, in a venv)", () => {
  it("chats streaming and not, continues the session by user, and gets usage", { timeout: 320_000 }, async () => {
    const py = await python;
    const script = join(tempDir("agentd-py-"), "check.py");
    writeFileSync(script, `
import json, sys
from openai import OpenAI
client = OpenAI(base_url=sys.argv[1], api_key=sys.argv[2], max_retries=0)
first = client.chat.completions.create(model="agent", user="py-user", messages=[{"role": "user", "content": "python says hi"}])
stream = client.chat.completions.create(model="agent", user="py-user", stream=True, stream_options={"include_usage": True},
                                        messages=[{"role": "user", "content": ${JSON.stringify(RECALL_QUESTION)}}])
text, usage = "", None
for chunk in stream:
    if chunk.choices and chunk.choices[0].delta.content:
        text += chunk.choices[0].delta.content
    if chunk.usage:
        usage = chunk.usage
print(json.dumps({"first": first.choices[0].message.content, "firstUsage": first.usage.total_tokens, "second": text, "secondUsage": usage.total_tokens if usage else None}))
`);
    const { stdout } = await run(py, [script, `${d.url}/v1`, d.token], { timeout: 30_000 });
    const out = JSON.parse(stdout.trim()) as { first: string; firstUsage: number; second: string; secondUsage: number | null };
    expect(out.first).toBe("You said: python says hi");
    expect(out.firstUsage).toBeGreaterThan(0);
    expect(out.second).toBe("Your first message was: python says hi");
    expect(out.secondUsage).toBeGreaterThan(0);
  });
});
