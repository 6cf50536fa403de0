/**
 * The relay floor (lib/relay-floor-server.ts) as the overhead benchmark drives it: started as a child process on
 * the same model stand-in and request body as agentd, with one WebSocket client and a REST path, each timed from
 * sending the message to holding the whole reply, as the bench times agentd's turns.
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { ChatCompletionCreateParamsStreaming } from "openai/resources/chat/completions";
import WebSocket from "ws";
import { PACKAGE_ROOT } from "../../../src/version.js";
import { stopChild } from "./measure.js";

/** The running relay floor: one turn over WebSocket or REST (ms, throws on a wrong reply), and a way to stop it. */
export interface RelayFloor {
  /** The relay floor's process id (for its memory). */
  pid: number;
  wsTurn(text: string, expected: string): Promise<number>;
  restTurn(text: string, expected: string): Promise<number>;
  stop(): Promise<void>;
}

/** Starts the relay floor on `llmUrl` with `body` (written to `dir`) and connects its WebSocket client. */
export async function startRelayFloor(llmUrl: string, body: ChatCompletionCreateParamsStreaming, dir: string): Promise<RelayFloor> {
  const bodyFile = join(dir, "relay-floor-body.json");
  writeFileSync(bodyFile, JSON.stringify(body));
  const server = join(PACKAGE_ROOT, "dist", "scripts", "bench", "lib", "relay-floor-server.js");
  const child = spawn(process.execPath, [server, llmUrl, bodyFile, join(dir, "relay-floor.db")], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`relay floor exited with ${code}`)));
    createInterface({ input: child.stdout! }).once("line", (line) => resolve((JSON.parse(line) as { port: number }).port));
  });
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  let pending: ((frame: { delta?: string; done?: boolean; text?: string; error?: string }) => void) | undefined;
  ws.on("message", (data) => pending?.(JSON.parse(String(data))));
  return {
    pid: child.pid!,
    wsTurn: (text, expected) => new Promise((resolve, reject) => {
      const t0 = performance.now();
      let streamed = "";
      pending = (f) => {
        if (f.delta) streamed += f.delta;
        if (f.error) reject(new Error(`relay floor: ${f.error}`));
        if (!f.done) return;
        const ms = performance.now() - t0;
        if (f.text !== expected || streamed !== expected) reject(new Error(`relay floor answered ${f.text}`));
        else resolve(ms);
      };
      ws.send(JSON.stringify({ text }));
    }),
    restTurn: async (text, expected) => {
      const t0 = performance.now();
      const res = await fetch(`http://127.0.0.1:${port}/chat`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ text }) });
      const done = (await res.json()) as { text: string };
      const ms = performance.now() - t0;
      if (done.text !== expected) throw new Error(`relay floor answered ${done.text}`);
      return ms;
    },
    stop: async () => {
      ws.close();
      await stopChild(child);
    },
  };
}
