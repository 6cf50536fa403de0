/**
 * A scripted OpenAI-compatible model server on loopback, for tests and benchmarks (test fixture, not product
 * code). Built on `node:http` only. Wire shapes follow the OpenAI Chat Completions API reference
 * (https://platform.openai.com/docs/api-reference/chat): `chat.completion`, streamed `chat.completion.chunk`
 * SSE lines ending in `data: [DONE]`, `tool_calls` deltas, and `stream_options.include_usage`.
 */
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** One scripted tool call. `arguments` is the raw JSON text sent to the client (may be deliberately invalid). */
export interface ScriptedToolCall {
  /** Tool call id; default `call_<n>` (unique per server). */
  id?: string;
  /** Function name. */
  name: string;
  /** Raw arguments text, streamed in at least two pieces. */
  arguments: string;
}

/**
 * What the fake model answers to one chat-completion request. All fields optional; `{}` is an empty
 * `stop` answer. Failure knobs (`status`, `stall…`, `drop…`, `malformed`) script the broken cases.
 */
export interface ScriptedTurn {
  /** Assistant text, streamed in deltas of `chunkSize` characters. */
  text?: string;
  /** Tool calls: first delta carries index, id, type, function.name and `arguments: ""`; then >= 2 argument pieces. */
  toolCalls?: ScriptedToolCall[];
  /** Token usage; default estimate: characters / 4 (prompt = JSON of `messages`, completion = text + tool calls). */
  usage?: { prompt_tokens: number; completion_tokens: number; cached_tokens?: number };
  /** Answer with this HTTP error status (e.g. 429, 500) and an OpenAI-style `{ error: {...} }` body instead. */
  status?: number;
  /** Message of the error body for `status`; default `"fake-llm scripted error <status>"`. */
  errorMessage?: string;
  /** Milliseconds to wait before the first byte. Default 0. */
  delayMs?: number;
  /** Milliseconds between SSE chunks. Default 0 (all chunks written at once). */
  chunkDelayMs?: number;
  /**
   * Up to this many more milliseconds between two chunks, uniformly random (default 0): a real model's token
   * times vary, so its parallel streams do not stay in step the way fixed delays keep them.
   */
  chunkJitterMs?: number;
  /** Characters per text delta. Default 8. */
  chunkSize?: number;
  /** Send this many SSE chunks (0 = headers only), then keep the socket open forever, until the client aborts or the server closes. Non-streaming: never answer. */
  stallAfterChunks?: number;
  /** Send this many SSE chunks, then destroy the socket. Non-streaming: destroy without answering. */
  dropAfterChunks?: number;
  /** Send a garbage (non-JSON) SSE data line after the first chunk. Non-streaming: a non-JSON 200 body. */
  malformed?: boolean;
  /** Reserved; never set. */
  refuse?: never;
}

/** The start of every fake speech answer: an Ogg page signature, then the spoken text's bytes follow. */
export const FAKE_SPEECH_OGG = Buffer.from("OggS\0fake-opus:");

/** A request received on `/v1/chat/completions`, recorded before it is answered. */
export interface RecordedRequest {
  /** Request path including any query string, e.g. `/v1/chat/completions`. */
  path: string;
  /** HTTP method, e.g. `POST`. */
  method: string;
  /** Request headers as Node parsed them (lower-case names), Authorization included. */
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, or the raw text when it was not valid JSON. */
  body: any;
  /** Exact byte length of the request body. */
  rawBytes: number;
  /** `Date.now()` when the body was fully received. */
  receivedAt: number;
}

/** A running fake model server; see {@link startFakeLlm}. */
export interface FakeLlm {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:PORT/v1` (the openai SDK's `baseURL`). */
  url: string;
  /** Bound TCP port. */
  port: number;
  /** Every request to `/v1/chat/completions`, in arrival order (cleared in place by `reset`). */
  requests: RecordedRequest[];
  /** Every `POST /v1/audio/speech` body (text-to-speech), in arrival order; each is answered with {@link FAKE_SPEECH_OGG} plus the input. */
  speech: Array<{ model: string; voice: string; input: string; response_format?: string }>;
  /** Append turns to the FIFO consumed by chat-completion requests. */
  enqueue(...turns: ScriptedTurn[]): void;
  /** Set (or clear with `undefined`) a rule consulted first; returning `undefined` falls through to the queue, then the default turn. */
  onRequest(rule: ((req: RecordedRequest) => ScriptedTurn | undefined) | undefined): void;
  /** Clear the queue, the rule and the recorded requests. */
  reset(): void;
  /** Close the server and destroy every open socket, stalled streams included. */
  close(): Promise<void>;
}

/** Text of the last `user` message of a chat-completion body (`req.body` of a {@link RecordedRequest}); array content joins its `text` parts. `""` if none. */
export function lastUserText(body: any): string {
  const messages: unknown = body?.messages;
  if (!Array.isArray(messages)) return "";
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as { role?: unknown; content?: unknown } | undefined;
    if (m?.role !== "user") continue;
    if (typeof m.content === "string") return m.content;
    if (Array.isArray(m.content)) {
      return m.content.map((p: any) => (p?.type === "text" && typeof p.text === "string" ? p.text : "")).join("");
    }
    return "";
  }
  return "";
}

/** The default turn: text `You said: <content of the last user message>`. */
export function defaultEchoTurn(req: RecordedRequest): ScriptedTurn {
  return { text: `You said: ${lastUserText(req.body)}` };
}

function splitBy(s: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}

/** Argument pieces: `chunkSize` characters each, always at least two pieces (empty pieces pad). */
function argPieces(args: string, size: number): string[] {
  const pieces = splitBy(args, Math.max(1, Math.min(size, Math.ceil(args.length / 2))));
  while (pieces.length < 2) pieces.push("");
  return pieces;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function errorType(status: number): string {
  if (status === 429) return "rate_limit_exceeded";
  if (status === 401) return "invalid_api_key";
  return status >= 500 ? "server_error" : "invalid_request_error";
}

/** Size of the `file` part of a multipart body (shallow scan); the whole body's size when not found. */
function multipartFileBytes(raw: Buffer, contentType: string | undefined): number {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType ?? "")?.[1];
  if (!boundary) return raw.length;
  const delim = Buffer.from(`--${boundary}`);
  let start = raw.indexOf(delim);
  while (start >= 0) {
    const next = raw.indexOf(delim, start + delim.length);
    if (next < 0) break;
    const headEnd = raw.indexOf("\r\n\r\n", start);
    if (headEnd >= 0 && headEnd < next && /name="file"/i.test(raw.subarray(start, headEnd).toString("latin1"))) {
      return next - 2 - (headEnd + 4); // minus the CRLF before the next delimiter
    }
    start = next;
  }
  return raw.length;
}

/**
 * Start a fake model server.
 * @param opts.port TCP port; default 0 (ephemeral).
 * @param opts.host bind address; default `127.0.0.1`.
 * @param opts.defaultTurn turn used when the rule and the queue give nothing; default {@link defaultEchoTurn}.
 * @param opts.record keep every request in `requests` (default true); false keeps memory flat for long soaks.
 * Endpoints: `POST /v1/chat/completions` (JSON or SSE with `stream: true`), `GET /v1/models` (always
 * `gpt-4o-mini`, `test-model` plus every model requested so far), `POST /v1/audio/transcriptions`
 * (`{ text: "transcribed: <n> bytes" }`, n = size of the `file` part); anything else is a 404 JSON error.
 * @param opts.apiKey when set, every request without `Authorization: Bearer <apiKey>` gets 401 with OpenAI's
 * `invalid_api_key` error body (as api.openai.com answers a wrong key).
 * @throws the `listen` error (e.g. `EADDRINUSE`) when the port cannot be bound.
 */
export async function startFakeLlm(
  opts: { port?: number; host?: string; defaultTurn?: (req: RecordedRequest) => ScriptedTurn; record?: boolean; apiKey?: string } = {},
): Promise<FakeLlm> {
  const host = opts.host ?? "127.0.0.1";
  const defaultTurn = opts.defaultTurn ?? defaultEchoTurn;
  const requests: RecordedRequest[] = [];
  const speech: FakeLlm["speech"] = [];
  const queue: ScriptedTurn[] = [];
  const models = new Set<string>(["gpt-4o-mini", "test-model"]);
  const sockets = new Set<Socket>();
  let rule: ((req: RecordedRequest) => ScriptedTurn | undefined) | undefined;
  let seq = 0;

  async function chat(req: IncomingMessage, res: ServerResponse, raw: Buffer, signal: AbortSignal): Promise<void> {
    const text = raw.toString("utf8");
    let body: any;
    let parsed = true;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
      parsed = false;
    }
    const rec: RecordedRequest = {
      path: req.url ?? "", method: req.method ?? "", headers: req.headers, body, rawBytes: raw.length, receivedAt: Date.now(),
    };
    if (opts.record !== false) requests.push(rec);
    if (!parsed || typeof body !== "object" || body === null) {
      sendJson(res, 400, { error: { message: "request body is not a JSON object", type: "invalid_request_error", param: null, code: null } });
      return;
    }
    const model = typeof body.model === "string" ? body.model : "test-model";
    models.add(model);
    const turn = rule?.(rec) ?? queue.shift() ?? defaultTurn(rec);
    const n = ++seq;
    const id = `chatcmpl-fake${n}`;
    const created = Math.floor(Date.now() / 1000);
    const calls = (turn.toolCalls ?? []).map((c, i) => ({ id: c.id ?? `call_${n}_${i}`, name: c.name, arguments: c.arguments }));
    const content = turn.text ?? "";
    const finish = calls.length > 0 ? "tool_calls" : "stop";
    const completionChars = content.length + calls.reduce((s, c) => s + c.name.length + c.arguments.length, 0);
    const u = turn.usage ?? {
      prompt_tokens: Math.ceil(JSON.stringify(body.messages ?? []).length / 4), completion_tokens: Math.ceil(completionChars / 4),
    };
    const usage = {
      prompt_tokens: u.prompt_tokens, completion_tokens: u.completion_tokens, total_tokens: u.prompt_tokens + u.completion_tokens,
      prompt_tokens_details: { cached_tokens: u.cached_tokens ?? 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    };

    if (turn.delayMs) await sleep(turn.delayMs, undefined, { signal }).catch(() => undefined);
    if (signal.aborted) return;
    if (turn.status !== undefined) {
      const message = turn.errorMessage ?? `fake-llm scripted error ${turn.status}`;
      sendJson(res, turn.status, { error: { message, type: errorType(turn.status), param: null, code: errorType(turn.status) } });
      return;
    }
    const stallForever = (): Promise<void> => new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));

    if (body.stream !== true) {
      if (turn.stallAfterChunks !== undefined) return stallForever();
      if (turn.dropAfterChunks !== undefined) return void req.socket.destroy();
      if (turn.malformed) {
        res.writeHead(200, { "content-type": "application/json" });
        return void res.end("{ this is not json");
      }
      const message: Record<string, unknown> = { role: "assistant", content: calls.length > 0 && !turn.text ? null : content, refusal: null };
      if (calls.length > 0) message.tool_calls = calls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.arguments } }));
      sendJson(res, 200, {
        id, object: "chat.completion", created, model, system_fingerprint: "fp_fake",
        choices: [{ index: 0, message, logprobs: null, finish_reason: finish }], usage,
      });
      return;
    }

    const includeUsage = body.stream_options?.include_usage === true;
    const chunk = (delta: Record<string, unknown>, finishReason: string | null = null): string =>
      JSON.stringify({
        id, object: "chat.completion.chunk", created, model, system_fingerprint: "fp_fake",
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }], ...(includeUsage ? { usage: null } : {}),
      });
    const deltas: Record<string, unknown>[] = [{ role: "assistant", content: "", refusal: null }];
    for (const piece of splitBy(content, Math.max(1, turn.chunkSize ?? 8))) deltas.push({ content: piece });
    calls.forEach((c, index) => {
      deltas.push({ tool_calls: [{ index, id: c.id, type: "function", function: { name: c.name, arguments: "" } }] });
      for (const piece of argPieces(c.arguments, Math.max(1, turn.chunkSize ?? 8))) {
        deltas.push({ tool_calls: [{ index, function: { arguments: piece } }] });
      }
    });
    const lines = deltas.map((d, i) => chunk(d, i === deltas.length - 1 ? finish : null));
    if (turn.malformed) lines.splice(1, 0, "{ this is not json");
    if (includeUsage) {
      lines.push(JSON.stringify({ id, object: "chat.completion.chunk", created, model, system_fingerprint: "fp_fake", choices: [], usage }));
    }
    lines.push("[DONE]");

    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    res.flushHeaders();
    const gapMs = turn.chunkDelayMs ?? 0;
    const cut = Math.min(turn.stallAfterChunks ?? Infinity, turn.dropAfterChunks ?? Infinity);
    for (let i = 0; i < lines.length; i++) {
      if (signal.aborted) return;
      if (i === cut) {
        await sleep(1); // let the written chunks reach the client first
        if (turn.stallAfterChunks !== undefined && turn.stallAfterChunks <= (turn.dropAfterChunks ?? Infinity)) return stallForever();
        return void req.socket.destroy();
      }
      const waitMs = gapMs + Math.random() * (turn.chunkJitterMs ?? 0);
      if (i > 0 && waitMs > 0) {
        await sleep(waitMs, undefined, { signal }).catch(() => undefined);
        if (signal.aborted) return;
      }
      res.write(`data: ${lines[i]}\n\n`);
    }
    res.end();
  }

  const server = createServer((req, res) => {
    const ac = new AbortController();
    res.on("close", () => ac.abort());
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("error", () => ac.abort());
    req.on("end", () => {
      const raw = Buffer.concat(parts);
      const path = (req.url ?? "").split("?")[0];
      const handle = async (): Promise<void> => {
        if (opts.apiKey !== undefined && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
          return sendJson(res, 401, { error: { message: "Incorrect API key provided.", type: "invalid_request_error", param: null, code: "invalid_api_key" } });
        }
        if (req.method === "POST" && path === "/v1/chat/completions") return chat(req, res, raw, ac.signal);
        if (req.method === "GET" && path === "/v1/models") {
          const data = [...models].map((id) => ({ id, object: "model", created: 1700000000, owned_by: "fake-llm" }));
          return sendJson(res, 200, { object: "list", data });
        }
        if (req.method === "POST" && path === "/v1/audio/speech") {
          const body = JSON.parse(raw.toString("utf8")) as { model: string; voice: string; input: string; response_format?: string };
          speech.push(body);
          if (!body.input || !body.voice) return sendJson(res, 400, { error: { message: "input and voice are required", type: "invalid_request_error", param: null, code: null } });
          res.writeHead(200, { "content-type": body.response_format === "opus" ? "audio/ogg" : "audio/mpeg" });
          return void res.end(Buffer.concat([FAKE_SPEECH_OGG, Buffer.from(body.input)]));
        }
        if (req.method === "POST" && path === "/v1/audio/transcriptions") {
          const contentType = req.headers["content-type"];
          return sendJson(res, 200, { text: `transcribed: ${multipartFileBytes(raw, contentType)} bytes` });
        }
        sendJson(res, 404, { error: { message: `unknown route ${req.method} ${path}`, type: "invalid_request_error", param: null, code: "not_found" } });
      };
      handle().catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { error: { message: String(err), type: "server_error", param: null, code: null } });
        else res.destroy();
      });
    });
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  const urlHost = host.includes(":") ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}/v1`,
    port,
    requests,
    speech,
    enqueue: (...turns) => void queue.push(...turns),
    onRequest: (r) => void (rule = r),
    reset: () => {
      queue.length = 0;
      requests.length = 0;
      rule = undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
      }),
  };
}
