/**
 * The floor of a chat turn's overhead, for the overhead benchmark (issue 20): the smallest relay between a client
 * and the model on the libraries agentd's turn path stands on, and nothing of agentd. For each request it stores
 * the user's message in SQLite (better-sqlite3, WAL, `synchronous=NORMAL`) before it answers, calls the model with
 * the `openai` SDK (the same streaming request agentd sends, read from `BODY_FILE`), relays every text delta as it
 * arrives, stores the reply, then says done. Two ways in, as agentd has:
 * - WebSocket (the `ws` library, as src/gateway): a text frame `{"text": …}` in; `{"delta": …}` frames, then
 *   `{"done": true, "text": …}` out;
 * - REST (Hono on @hono/node-server): `POST /chat` with `{"text": …}`, answered with `{"text": …}` once the reply
 *   is complete.
 * No authentication, sessions, protocol validation, tools or events: what is left is a hop and two commits, the
 * part of agentd's overhead no gateway can do without. Prints `{"port": N}` on stdout once it listens.
 * Run: `node dist/scripts/bench/lib/relay-floor-server.js LLM_BASE_URL BODY_FILE DB_FILE`.
 */
import { serve } from "@hono/node-server";
import Database from "better-sqlite3";
import { Hono } from "hono";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import OpenAI from "openai";
import type { ChatCompletionCreateParamsStreaming } from "openai/resources/chat/completions";
import { WebSocketServer } from "ws";

const [llmUrl, bodyFile, dbFile] = process.argv.slice(2);
if (!llmUrl || !bodyFile || !dbFile) {
  process.stderr.write("usage: relay-floor-server.js LLM_BASE_URL BODY_FILE DB_FILE\n");
  process.exit(2);
}
const body = JSON.parse(readFileSync(bodyFile, "utf8")) as ChatCompletionCreateParamsStreaming;
const db = new Database(dbFile);
db.pragma("journal_mode = WAL");
db.pragma("synchronous = NORMAL");
db.exec("CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, role TEXT NOT NULL, text TEXT NOT NULL)");
const insert = db.prepare("INSERT INTO messages (role, text) VALUES (?, ?)");
const sdk = new OpenAI({ baseURL: llmUrl, apiKey: "not-needed", maxRetries: 0 });

/** One turn: the message stored, the model called, each delta handed to `onDelta`, the reply stored. */
async function turn(text: string, onDelta: (delta: string) => void): Promise<string> {
  insert.run("user", text);
  const last = body.messages[body.messages.length - 1]!;
  const stream = await sdk.chat.completions.create({ ...body, messages: [...body.messages.slice(0, -1), { ...last, content: text } as typeof last] });
  let reply = "";
  for await (const chunk of stream) {
    const delta = chunk.choices[0]?.delta?.content;
    if (delta) {
      reply += delta;
      onDelta(delta);
    }
  }
  insert.run("assistant", reply);
  return reply;
}

const app = new Hono();
app.post("/chat", async (c) => {
  const { text } = await c.req.json<{ text: string }>();
  return c.json({ text: await turn(text, () => {}) });
});
const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => process.stdout.write(`${JSON.stringify({ port: (info as AddressInfo).port })}\n`));
const wss = new WebSocketServer({ noServer: true });
server.on("upgrade", (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => {
  ws.on("message", (data) => {
    const { text } = JSON.parse(String(data)) as { text: string };
    turn(text, (delta) => ws.send(JSON.stringify({ delta })))
      .then((reply) => ws.send(JSON.stringify({ done: true, text: reply })))
      .catch((err: Error) => ws.send(JSON.stringify({ error: err.message })));
  });
}));
process.once("SIGTERM", () => {
  wss.close();
  server.close(() => process.exit(0));
});
