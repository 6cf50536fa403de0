import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import OpenAI, { APIError, toFile } from "openai";
import { startFakeLlm } from "./fake-llm.js";
import type { FakeLlm } from "./fake-llm.js";

let llm: FakeLlm;
let client: OpenAI;

beforeAll(async () => {
  llm = await startFakeLlm();
  client = new OpenAI({ baseURL: llm.url, apiKey: "x", maxRetries: 0 });
});
afterEach(() => llm.reset());
afterAll(async () => llm.close());

const user = (content: string): OpenAI.Chat.ChatCompletionMessageParam[] => [{ role: "user", content }];

describe("fake-llm", () => {
  it("binds loopback on an ephemeral port", () => {
    expect(llm.url).toBe(`http://127.0.0.1:${llm.port}/v1`);
    expect(llm.port).toBeGreaterThan(0);
  });

  it("streams scripted text in chunks that join to the text, with role first and stop last", async () => {
    const text = "Hello there, this is a scripted answer with \"quotes\" and ünïcode.";
    llm.enqueue({ text, chunkSize: 5 });
    const stream = await client.chat.completions.create({ model: "m1", messages: user("hi"), stream: true });
    const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant");
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe(text);
    expect(chunks.length).toBeGreaterThan(10);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("stop");
    expect(chunks.every((c) => c.model === "m1")).toBe(true);
  });

  it("spaces chunks by chunkDelayMs plus a random part of chunkJitterMs", async () => {
    llm.enqueue({ text: "a".repeat(80), chunkSize: 8, chunkDelayMs: 5, chunkJitterMs: 30 });
    const sentAt = performance.now();
    const stream = await client.chat.completions.create({ model: "m1", messages: user("hi"), stream: true });
    const at: number[] = [];
    for await (const c of stream) if (c.choices[0]?.delta.content) at.push(performance.now());
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    expect(gaps.length).toBe(9);
    // the server waits at least the delay between chunks; the client may read two at once on a busy machine, so
    // the bound is on the whole stream (8 waits after the first chunk), not on one gap
    expect(at.at(-1)! - sentAt).toBeGreaterThanOrEqual(8 * 5);
    expect(Math.max(...gaps) - Math.min(...gaps)).toBeGreaterThan(3); // not all the same: jittered
  });

  it("streams tool call deltas that assemble to the scripted call", async () => {
    const args = JSON.stringify({ path: "notes/today.md", content: "a fairly long body" });
    llm.enqueue({ toolCalls: [{ id: "call_abc", name: "vault_write", arguments: args }, { name: "time_now", arguments: "{}" }] });
    const stream = await client.chat.completions.create({ model: "m", messages: user("write"), stream: true });
    const calls: { id?: string; name?: string; args: string; pieces: number }[] = [];
    let finish: string | null | undefined;
    for await (const c of stream) {
      const choice = c.choices[0];
      finish = choice?.finish_reason ?? finish;
      for (const d of choice?.delta.tool_calls ?? []) {
        const call = (calls[d.index] ??= { args: "", pieces: 0 });
        if (d.id) {
          expect(call.id).toBeUndefined(); // id and name come once, in the first delta
          call.id = d.id;
          call.name = d.function?.name;
        } else if (d.function?.arguments !== undefined) {
          call.args += d.function.arguments;
          call.pieces++;
        }
      }
    }
    expect(finish).toBe("tool_calls");
    expect(calls[0]).toEqual({ id: "call_abc", name: "vault_write", args, pieces: expect.any(Number) });
    expect(calls[0]!.pieces).toBeGreaterThanOrEqual(2);
    expect(calls[1]?.name).toBe("time_now");
    expect(calls[1]?.id).toMatch(/^call_/);
    expect(calls[1]?.args).toBe("{}");
    expect(calls[1]!.pieces).toBeGreaterThanOrEqual(2);
  });

  it("returns tool calls and usage in a non-streaming completion", async () => {
    llm.enqueue({ toolCalls: [{ id: "c1", name: "echo", arguments: "{\"a\":" }], usage: { prompt_tokens: 7, completion_tokens: 3 } });
    const r = await client.chat.completions.create({ model: "m2", messages: user("x") });
    expect(r.model).toBe("m2");
    expect(r.choices[0]?.finish_reason).toBe("tool_calls");
    expect(r.choices[0]?.message.tool_calls).toEqual([{ id: "c1", type: "function", function: { name: "echo", arguments: "{\"a\":" } }]);
    expect(r.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 });
  });

  it("sends usage in a final chunk with empty choices when include_usage is set", async () => {
    llm.enqueue({ text: "ok", usage: { prompt_tokens: 100, completion_tokens: 2, cached_tokens: 64 } });
    const stream = await client.chat.completions.create({
      model: "m", messages: user("hi"), stream: true, stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: 100, completion_tokens: 2, total_tokens: 102, prompt_tokens_details: { cached_tokens: 64 } });
  });

  it("surfaces a scripted 429 as the SDK's APIError with status 429", async () => {
    llm.enqueue({ status: 429, errorMessage: "slow down" });
    const err = await client.chat.completions.create({ model: "m", messages: user("hi") }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
    expect((err as APIError).status).toBe(429);
    expect((err as APIError).message).toContain("slow down");
  });

  it("stalls a stream until the client aborts, and the abort finishes quickly", async () => {
    llm.enqueue({ text: "never finishes", chunkSize: 2, stallAfterChunks: 2 });
    const ac = new AbortController();
    const stream = await client.chat.completions.create({ model: "m", messages: user("hi"), stream: true }, { signal: ac.signal });
    const seen: string[] = [];
    const started = Date.now();
    const consume = (async () => {
      for await (const c of stream) seen.push(c.choices[0]?.delta.content ?? "");
    })();
    await new Promise((r) => setTimeout(r, 100));
    expect(seen.join("")).toBe("ne"); // role chunk + one text chunk, then nothing
    ac.abort();
    await consume.catch(() => undefined); // the SDK ends (or rejects) an aborted stream; either way it stops
    expect(Date.now() - started).toBeLessThan(1000);
    expect(seen.join("")).toBe("ne");
  });

  it("errors on the client when the server drops the socket mid-stream", async () => {
    llm.enqueue({ text: "abcdefghijklmnop", chunkSize: 4, dropAfterChunks: 3 });
    const stream = await client.chat.completions.create({ model: "m", messages: user("hi"), stream: true });
    const seen: string[] = [];
    const consume = (async () => {
      for await (const c of stream) seen.push(c.choices[0]?.delta.content ?? "");
    })();
    await expect(consume).rejects.toThrow();
    expect(seen.join("")).toBe("abcdefgh");
  });

  it("makes the SDK throw on a malformed SSE line", async () => {
    llm.enqueue({ text: "hello", malformed: true });
    const stream = await client.chat.completions.create({ model: "m", messages: user("hi"), stream: true });
    await expect((async () => {
      for await (const _ of stream) void _;
    })()).rejects.toThrow();
  });

  it("echoes the last user message by default, joining text parts", async () => {
    const r = await client.chat.completions.create({
      model: "m",
      messages: [
        { role: "user", content: "first" },
        { role: "assistant", content: "ok" },
        { role: "user", content: [{ type: "text", text: "part one, " }, { type: "text", text: "part two" }] },
      ],
    });
    expect(r.choices[0]?.message.content).toBe("You said: part one, part two");
    expect(r.choices[0]?.finish_reason).toBe("stop");
  });

  it("consults the rule first, then the queue, then the default", async () => {
    llm.enqueue({ text: "queued" });
    llm.onRequest((req) => (JSON.stringify(req.body).includes("magic") ? { text: "ruled" } : undefined));
    const say = async (s: string) => (await client.chat.completions.create({ model: "m", messages: user(s) })).choices[0]?.message.content;
    expect(await say("magic")).toBe("ruled");
    expect(await say("plain")).toBe("queued");
    expect(await say("plain")).toBe("You said: plain");
  });

  it("records requests with headers, parsed body and exact rawBytes", async () => {
    await client.chat.completions.create({ model: "rec-model", messages: user("héllo") });
    expect(llm.requests).toHaveLength(1);
    const req = llm.requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.path).toBe("/v1/chat/completions");
    expect(req.headers.authorization).toBe("Bearer x");
    expect(req.body.model).toBe("rec-model");
    expect(req.rawBytes).toBe(Buffer.byteLength(JSON.stringify(req.body)));
    expect(req.rawBytes).toBeLessThan(6 * 1024);
  });

  it("lists models including requested ones, transcribes audio, and 404s unknown paths", async () => {
    await client.chat.completions.create({ model: "my-custom-model", messages: user("hi") });
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toEqual(expect.arrayContaining(["gpt-4o-mini", "test-model", "my-custom-model"]));
    const t = await client.audio.transcriptions.create({ model: "whisper-1", file: await toFile(Buffer.alloc(1234, 1), "a.ogg") });
    expect(t.text).toBe("transcribed: 1234 bytes");
    const res = await fetch(`${llm.url}/nope`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("/v1/nope");
  });

  it("closes with a stalled stream open", async () => {
    const other = await startFakeLlm({ defaultTurn: () => ({ text: "zz", stallAfterChunks: 1 }) });
    const c = new OpenAI({ baseURL: other.url, apiKey: "x", maxRetries: 0 });
    const stream = await c.chat.completions.create({ model: "m", messages: user("hi"), stream: true });
    const consume = (async () => {
      for await (const _ of stream) void _;
    })();
    await new Promise((r) => setTimeout(r, 20));
    await other.close();
    await expect(consume).rejects.toThrow();
  });
});

describe("fake-llm-cli", () => {
  it("prints its URL as one JSON line and exits on SIGTERM", async () => {
    // Run the .ts source with Node's type stripping; a resolve hook maps the `.js` import specifiers to `.ts`.
    const cli = fileURLToPath(new URL("./fake-llm-cli.ts", import.meta.url));
    const hook = `data:text/javascript,import{registerHooks}from"node:module";registerHooks({resolve(s,c,n){try{return n(s,c)}catch(e){if(s.startsWith(".")&&s.endsWith(".js"))return n(s.slice(0,-3)+".ts",c);throw e}}})`;
    const child = spawn(process.execPath, ["--import", hook, cli, "--chunk-delay-ms", "1"], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      const [line] = (await once(child.stdout, "data")) as [Buffer];
      const { url } = JSON.parse(line.toString()) as { url: string };
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
      const c = new OpenAI({ baseURL: url, apiKey: "x", maxRetries: 0 });
      const r = await c.chat.completions.create({ model: "m", messages: user("bench") });
      expect(r.choices[0]?.message.content).toBe("You said: bench");
    } finally {
      child.kill("SIGTERM");
    }
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code).toBe(0);
  });
});
