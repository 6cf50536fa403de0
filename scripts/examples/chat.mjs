// Sends one message and prints the reply as it streams (Server-Sent Events from POST /api/chat).
// usage: node chat.mjs AGENT_DIR "message" [SESSION_ID]
import { agent } from "./agent.mjs";

const [dir, text, sessionId] = process.argv.slice(2);
const { api } = agent(dir);
if (!text) {
  console.error('usage: node chat.mjs AGENT_DIR "message" [SESSION_ID]');
  process.exit(64);
}
const res = await api("/api/chat", {
  method: "POST",
  headers: { accept: "text/event-stream" },
  body: JSON.stringify({ text, ...(sessionId ? { sessionId } : {}) }),
});
// SSE: blocks separated by a blank line, each with `event:` and `data:` lines
let buffer = "";
const decoder = new TextDecoder();
for await (const chunk of res.body) {
  buffer += decoder.decode(chunk, { stream: true });
  let end;
  while ((end = buffer.indexOf("\n\n")) >= 0) {
    const block = buffer.slice(0, end);
    buffer = buffer.slice(end + 2);
    const event = /^event: ?(.*)$/m.exec(block)?.[1];
    const data = JSON.parse(block.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.replace(/^data: ?/, "")).join("\n") || "null");
    if (event === "run.delta") process.stdout.write(data.text);
    else if (event === "run.done") {
      const u = data.usage;
      console.log(`\n[session ${data.sessionId}, ${data.model}, ${u.promptTokens}+${u.completionTokens} tokens${u.costUsd != null ? `, $${u.costUsd.toFixed(6)}` : ""}]`);
    } else if (event === "run.error") {
      console.error(`\nerror: ${data.error.code}: ${data.error.message}`);
      process.exitCode = 1;
    }
  }
}
