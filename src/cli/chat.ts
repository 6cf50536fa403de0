import { createInterface } from "node:readline";
import { AgentdClient, ProtocolError } from "../../protocol/client.js";

/**
 * `agentd chat DIR` (or `--url URL --token T`): a terminal chat over the WebSocket protocol. Replies stream as
 * they come; `/new` starts a fresh session, `/quit` (or Ctrl-D) leaves; Ctrl-C aborts a running reply and a
 * second Ctrl-C exits.
 */
export async function chatCommand(opts: { agentDir?: string; url?: string; token?: string; sessionId?: string }): Promise<void> {
  const client = await AgentdClient.connect({ ...opts, clientName: "agentd-chat" });
  const out = process.stdout;
  out.write(`Connected to ${client.info?.agent.name ?? "agent"}. /new for a fresh session, /quit to leave, Ctrl-C stops a reply.\n`);
  client.onState((s) => {
    if (s === "reconnecting") out.write("\n(connection lost, reconnecting…)\n");
  });
  let sessionId = opts.sessionId;
  let running: string | undefined;
  let interrupts = 0;
  const rl = createInterface({ input: process.stdin, output: out, prompt: "you> " });
  const quit = () => {
    client.close();
    rl.close();
    process.exit(0);
  };
  rl.on("SIGINT", () => {
    if (running && interrupts === 0) {
      interrupts++;
      void client.request("chat.abort", { runId: running }).catch(() => {});
      return;
    }
    out.write("\n");
    quit();
  });
  rl.on("close", quit);
  rl.prompt();
  for await (const line of rl) {
    const text = line.trim();
    if (!text) {
      rl.prompt();
      continue;
    }
    if (text === "/quit" || text === "/exit") quit();
    if (text === "/new") {
      sessionId = undefined;
      out.write("(new session)\n");
      rl.prompt();
      continue;
    }
    try {
      const run = await client.send(text, sessionId ? { sessionId } : {});
      sessionId = run.sessionId;
      running = run.runId;
      interrupts = 0;
      out.write("agent> ");
      for await (const ev of run.events) {
        if (ev.event === "run.delta") out.write(ev.payload.text);
        else if (ev.event === "run.tool" && ev.payload.phase === "call") out.write(`\n  [tool ${ev.payload.name}]\n`);
        else if (ev.event === "run.done" && ev.payload.status !== "ok") out.write(`\n(${ev.payload.status})`);
        else if (ev.event === "run.error") out.write(`\n(error: ${ev.payload.error.message})`);
      }
      out.write("\n");
    } catch (err) {
      out.write(`\n(error: ${err instanceof ProtocolError ? err.message : String(err)})\n`);
    } finally {
      running = undefined;
    }
    rl.prompt();
  }
}
