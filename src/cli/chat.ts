import { hostname, userInfo } from "node:os";
import { createInterface } from "node:readline";
import type { ChannelAddress } from "../../protocol/chat.js";
import { AgentdClient, ProtocolError } from "../../protocol/client.js";
import { TERMINAL_PLATFORM } from "../config/sections/channels.js";

/**
 * The channel address of this terminal: platform `terminal`, one chat per user and machine (`ann@laptop`). The
 * daemon binds it to a current session as it does a Telegram chat, so `agentd chat` continues where the last one
 * left off, and answers the chat commands (`/help`, `/new`, `/sessions`, `/switch N`, `/stop`, `/model`) itself.
 */
export function terminalChannel(): ChannelAddress {
  let user = "user";
  try {
    user = userInfo().username || user;
  } catch {
    /* no passwd entry (some containers) */
  }
  const id = `${user}@${hostname()}`.slice(0, 128);
  return { platform: TERMINAL_PLATFORM, chatId: id, userId: id, userName: user.slice(0, 128), isGroup: false, mentioned: false };
}

/**
 * `agentd chat DIR` (or `--url URL --token T`): a terminal chat over the WebSocket protocol, as the chat of
 * {@link terminalChannel}. Replies stream as they come; the daemon answers the chat commands (`/help` lists them),
 * `/quit` (or Ctrl-D) leaves; Ctrl-C aborts a running reply and a second Ctrl-C exits. `sessionId` (`--session`)
 * writes to that session until `/new` or `/switch` moves the chat.
 */
export async function chatCommand(opts: { agentDir?: string; url?: string; token?: string; sessionId?: string }): Promise<void> {
  const client = await AgentdClient.connect({ ...opts, clientName: "agentd-chat" });
  const out = process.stdout;
  const channel = terminalChannel();
  out.write(`Connected to ${client.info?.agent.name ?? "agent"}. /help lists the commands, /quit leaves, Ctrl-C stops a reply.\n`);
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
  // the end of input (Ctrl-D, or the end of a pipe: `echo hi | agentd chat DIR`) ends the loop below once the lines
  // read so far are answered; then quit
  let inputEnded = false;
  rl.on("close", () => (inputEnded = true));
  const prompt = () => {
    if (!inputEnded) rl.prompt();
  };
  rl.prompt();
  const lines = rl[Symbol.asyncIterator]();
  for (;;) {
    const next = await lines.next();
    if (next.done) break;
    const text = String(next.value).trim();
    if (!text) {
      prompt();
      continue;
    }
    if (text === "/quit" || text === "/exit") quit();
    // after /new or /switch the chat's current session (the daemon's binding) decides where messages go
    if (/^\/(new|switch)\b/i.test(text)) sessionId = undefined;
    try {
      const run = await client.send(text, { channel, ...(sessionId ? { sessionId } : {}) });
      running = run.runId;
      interrupts = 0;
      out.write("agent> ");
      for await (const ev of run.events) {
        if (ev.event === "run.delta") out.write(ev.payload.text);
        else if (ev.event === "run.tool" && ev.payload.phase === "call") out.write(`\n  [tool ${ev.payload.name}]\n`);
        else if (ev.event === "run.done" && ev.payload.status !== "ok") out.write(`\n(${ev.payload.status})`);
        else if (ev.event === "run.error") out.write(`\n(error: ${ev.payload.error.message})`);
        else if (ev.event === "run.status" && ev.payload.status === "awaiting_approval" && ev.payload.approvalId) {
          await askApproval(client, ev.payload.approvalId, out, async () => {
            const answer = await lines.next();
            return answer.done ? undefined : String(answer.value);
          });
        }
      }
      out.write("\n");
    } catch (err) {
      out.write(`\n(error: ${err instanceof ProtocolError ? err.message : String(err)})\n`);
    } finally {
      running = undefined;
    }
    prompt();
  }
  out.write("\n");
  quit();
}

/**
 * Asks the terminal user to answer an approval request the run waits for (issue 13): shows the call, reads one line
 * (`y` approve once, `a` always, anything else deny; end of input leaves it to other surfaces) and sends the answer.
 * The first answer wins: when another surface answered first, that is shown.
 */
async function askApproval(client: AgentdClient, id: string, out: NodeJS.WritableStream, readLine: () => Promise<string | undefined>): Promise<void> {
  try {
    const { approval } = await client.request("approvals.get", { id });
    if (approval.state !== "pending") return;
    out.write(`\n  [approval needed: ${approval.tool} ${approval.subject}]\n  allow? [y] once, [a] always, [n] deny: `);
    const line = await readLine();
    if (line === undefined) return;
    const decision = /^a/i.test(line.trim()) ? "always" : /^y/i.test(line.trim()) ? "approve" : "deny";
    const res = await client.request("approvals.decide", { id, decision });
    out.write(`  (${res.approval.state})\n`);
  } catch (err) {
    out.write(`  (${err instanceof ProtocolError ? err.message : String(err)})\n`);
  }
}
