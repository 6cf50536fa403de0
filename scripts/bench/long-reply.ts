/**
 * Long-reply benchmark (issue 17, item 6): a model that streams a huge reply (`BENCH_LONG_REPLY_MB`, default 300 MB
 * of text) against the daemon's cap `agent.maxReplyChars` (default 200,000 characters). A stand-in model server
 * in this process generates SSE chunks of 4 KiB of text on demand (respecting back-pressure, so nothing is
 * buffered up front) until it has sent the whole reply or the daemon hangs up. Prints the daemon's RSS after a
 * short reply (the baseline), its peak RSS during the huge one (read every 20 ms) and the ratio, how much of the
 * stream the daemon read before it stopped the model, and what the run ended with.
 * Run: `npm run build && node dist/scripts/bench/long-reply.js` (env: BENCH_LONG_REPLY_MB).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { row } from "./lib/measure.js";
import { envNumber, initBenchAgent, mb, rssBytes, startBenchDaemon } from "./lib/setup.js";

const CHUNK_CHARS = 4096;

/** A model server whose next reply is `replyChars` characters long; `sentChars` counts what it got out. */
function startStreamingModel(): Promise<{ url: string; server: Server; reply: { chars: number; sentChars: number } }> {
  const reply = { chars: 16, sentChars: 0 };
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      const piece = "x".repeat(CHUNK_CHARS);
      const frame = (content: string, finish: string | null) =>
        `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 0, model: "m", choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;
      let left = reply.chars;
      reply.sentChars = 0;
      const pump = () => {
        while (left > 0 && !res.destroyed) {
          const text = left >= CHUNK_CHARS ? piece : piece.slice(0, left);
          left -= text.length;
          reply.sentChars += text.length;
          if (!res.write(frame(text, null))) return void res.once("drain", pump);
        }
        if (!res.destroyed) res.end(`${frame("", "stop")}data: [DONE]\n\n`);
      };
      res.on("error", () => undefined);
      pump();
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, server, reply })));
}

/** Runs the measurement; returns the figures (MB, characters, ratio). */
export async function runLongReplyBench(): Promise<Record<string, number>> {
  const replyMb = envNumber("BENCH_LONG_REPLY_MB", 300);
  const model = await startStreamingModel();
  const agent = initBenchAgent(model.url, (cfg) => (cfg.agent = { titleSessions: false }));
  const d = await startBenchDaemon(agent);
  const chat = async (text: string) => {
    const res = await fetch(`${d.url}/api/chat`, { method: "POST", headers: { authorization: `Bearer ${d.token}`, "content-type": "application/json" }, body: JSON.stringify({ text }) });
    return (await res.json()) as { text?: string; status?: string };
  };
  const out: Record<string, number> = {};
  try {
    await chat("warm up");
    const baseline = rssBytes(d.pid);
    model.reply.chars = replyMb * 1024 * 1024;
    let peak = baseline;
    const timer = setInterval(() => (peak = Math.max(peak, rssBytes(d.pid))), 20);
    const t0 = performance.now();
    const answer = await chat("tell me everything");
    const ms = performance.now() - t0;
    clearInterval(timer);
    peak = Math.max(peak, rssBytes(d.pid));
    out.baselineRssMb = mb(baseline);
    out.peakRssMb = mb(peak);
    out.peakRatio = Number((peak / baseline).toFixed(2));
    out.streamedMb = Number((model.reply.sentChars / 1024 / 1024).toFixed(2));
    out.replyChars = answer.text?.length ?? 0;
    out.runMs = Math.round(ms);
    console.log(`Long reply: a model streaming ${replyMb} MB of text, agent.maxReplyChars at its default`);
    console.log(row("RSS after a short reply (baseline)", out.baselineRssMb, "MB"));
    console.log(row("peak RSS during the long reply", out.peakRssMb, "MB"));
    console.log(row("peak / baseline", out.peakRatio, "×"));
    console.log(row("stream sent before the daemon hung up", out.streamedMb, "MB"));
    console.log(row("characters in the stored reply", out.replyChars, "chars"), `(status ${answer.status ?? "?"})`);
    console.log(row("time to the end of the run", out.runMs, "ms"));
  } finally {
    await d.stop();
    agent.remove();
    model.server.closeAllConnections();
    model.server.close();
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await runLongReplyBench();
