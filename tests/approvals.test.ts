/**
 * Issue 13, approvals and pairing, end to end: the real daemon started through the CLI supervises the real
 * Telegram bridge (`channels.telegram.enabled`), the scripted model calls `exec` (policy `ask`, the default), and
 * the Telegram stand-in (telegram-test-api behind tests/support/telegram-shim.ts) plays the user: the prompt with
 * its buttons arrives in the chat, a button press is a callback query, the answer reaches the chat.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { startFakeLlm, type FakeLlm, type RecordedRequest } from "./support/fake-llm.js";
import { startTelegramShim, type TelegramShim } from "./support/telegram-shim.js";
import { CLI, ROOT, cleanup, initAgent, runCli, startDaemon, waitFor, type RunningDaemon } from "./support/daemon.js";
import type { Approval, AuditEntry } from "../protocol/approvals.js";

const TOKEN = "5151:approvals-test-token";
const OWNER = { userId: 4100, chatId: 4100, userName: "owner" };

type Msg = { role: string; content?: unknown; tool_call_id?: string };
const messagesOf = (req: RecordedRequest) => (req.body?.messages ?? []) as Msg[];
const lastUser = (req: RecordedRequest) => {
  const m = [...messagesOf(req)].reverse().find((x) => x.role === "user");
  return typeof m?.content === "string" ? m.content : "";
};
const toolResult = (req: RecordedRequest) => {
  const last = messagesOf(req).at(-1);
  return last?.role === "tool" ? String(last.content) : undefined;
};

let llm: FakeLlm;
let shim: TelegramShim;
let agent: { dir: string };
let daemon: RunningDaemon;

beforeAll(async () => {
  llm = await startFakeLlm();
  // "run <word>": call exec `echo <word>-ran > <word>.txt; cat <word>.txt`, then report what the tool said
  llm.onRequest((req) => {
    const m = /run (\w+)/.exec(lastUser(req));
    if (!m) return { text: `echo: ${lastUser(req)}` };
    const result = toolResult(req);
    if (result === undefined) return { toolCalls: [{ name: "exec", arguments: JSON.stringify({ command: `echo ${m[1]}-ran > ${m[1]}.txt; cat ${m[1]}.txt` }) }] };
    return { text: /^Error:/.test(result) ? `I could not run it: ${result}` : `Exec said: ${result.trim()}` };
  });
  shim = await startTelegramShim();
  agent = await initAgent({
    llmUrl: llm.url,
    edit: (cfg) => {
      cfg.agent = { ...cfg.agent, titleSessions: false };
      // a run waiting for an answer does not end by itself: the stop aborts it after this grace
      cfg.server = { ...cfg.server, shutdownGraceMs: 300 };
      cfg.tools = { deny: [], exec: { enabled: true, sandbox: existsSync("/usr/bin/bwrap") ? "bwrap" : "none", timeoutMs: 10_000 }, approval: { timeoutMs: 120_000 } };
      cfg.channels = { telegram: { enabled: true, policy: "pairing", allowlist: [String(OWNER.userId)], botToken: TOKEN, apiRoot: shim.apiRoot } };
      cfg.owner = { chats: [{ platform: "telegram", chatId: OWNER.chatId, userId: OWNER.userId }] };
    },
  });
  daemon = await startDaemon(agent.dir);
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
  await shim?.close();
  await llm?.close();
  if (agent) cleanup(agent.dir);
});

const say = async (u: typeof OWNER, text: string) => {
  const client = shim.emulator.getClient(TOKEN, { userId: u.userId, chatId: u.chatId, userName: u.userName, firstName: u.userName });
  await client.sendMessage(client.makeMessage(text) as never);
};
/** The sendMessage calls the platform took for `chatId` after index `from`, with their keyboards. */
const sentTo = (chatId: number) => shim.calls.filter((c) => c.method === "sendMessage" && c.acceptedAt !== undefined && String(c.params.chat_id) === String(chatId));
const buttonsOf = (call: { params: Record<string, any> }) => (call.params.reply_markup?.inline_keyboard?.[0] ?? []) as Array<{ text: string; callback_data: string }>;

/** Sends `run WORD` and waits for the prompt with buttons; returns its message id and buttons. */
async function promptFor(word: string) {
  const before = sentTo(OWNER.chatId).length;
  await say(OWNER, `please run ${word}`);
  const prompt = await waitFor(() => sentTo(OWNER.chatId).slice(before).find((c) => buttonsOf(c).length > 0), `the approval prompt for ${word}`, 20_000);
  return { messageId: Number(prompt.result.message_id), text: String(prompt.params.text), buttons: buttonsOf(prompt), before };
}
const press = (data: string, messageId: number) => shim.press(TOKEN, OWNER, data, messageId);
const replyContaining = (from: number, text: string) =>
  waitFor(() => sentTo(OWNER.chatId).slice(from).find((c) => String(c.params.text).includes(text)), `a reply containing "${text}"`, 20_000);

describe("approvals through the Telegram stand-in", () => {
  it("the chat gets buttons; Approve once runs the command and the answer arrives; REST, the CLI and the audit show it", async () => {
    const p = await promptFor("alpha");
    expect(p.buttons.map((b) => b.text)).toEqual(["Approve once", "Always", "Deny"]);
    expect(p.text).toContain("exec");
    expect(p.text).toContain("echo alpha-ran"); // the command, in a code block (Telegram HTML escapes the ">")
    const pending = (await (await daemon.api("/api/approvals?state=pending")).json()) as { approvals: Approval[] };
    expect(pending.approvals).toHaveLength(1);
    expect(pending.approvals[0]).toMatchObject({ tool: "exec", state: "pending", answerers: [`telegram:${OWNER.userId}`] });
    // the CLI lists it too
    const listed = await runCli(["approvals", agent.dir]);
    expect(listed.stdout).toContain(pending.approvals[0]!.code);
    await press(p.buttons[0]!.callback_data, p.messageId);
    await waitFor(() => shim.toasts().includes("Done: approved"), "the toast of the press");
    expect(String((await replyContaining(p.before, "Exec said")).params.text)).toContain("alpha-ran");
    expect(existsSync(join(agent.dir, "workspace", "alpha.txt"))).toBe(true);
    const audit = (await (await daemon.api("/api/audit")).json()) as { entries: AuditEntry[] };
    expect(audit.entries[0]).toMatchObject({ tool: "exec", outcome: "approved", decidedBy: `telegram:${OWNER.userId}` });
  });

  it("Deny: the command does not run and the model says it could not", async () => {
    const p = await promptFor("bravo");
    await press(p.buttons.find((b) => b.text === "Deny")!.callback_data, p.messageId);
    const reply = await replyContaining(p.before, "I could not run it");
    expect(String(reply.params.text)).toMatch(/denied/);
    expect(existsSync(join(agent.dir, "workspace", "bravo.txt"))).toBe(false);
  });

  it("two answers: the first wins, the second is told it was answered", async () => {
    const p = await promptFor("charlie");
    const id = /ap:([^:]+):/.exec(p.buttons[0]!.callback_data)![1]!;
    const first = await daemon.api(`/api/approvals/${id}`, { method: "POST", body: JSON.stringify({ decision: "approve" }) });
    expect(first.status).toBe(200);
    await press(p.buttons.find((b) => b.text === "Deny")!.callback_data, p.messageId);
    await waitFor(() => shim.toasts().find((t) => /already answered: approved by owner/.test(t)), "the late press told it was answered");
    const again = await daemon.api(`/api/approvals/${id}`, { method: "POST", body: JSON.stringify({ decision: "deny" }) });
    expect(again.status).toBe(409);
    expect(String((await replyContaining(p.before, "Exec said")).params.text)).toContain("charlie-ran");
    const one = (await (await daemon.api(`/api/approvals/${id}`)).json()) as { approval: Approval };
    expect(one.approval).toMatchObject({ state: "approved", decision: "approve", decidedBy: "owner" });
  });

  it("an unanswered request expires: denied, the model is told, the chat hears it", async () => {
    const patch = await daemon.api("/api/config/tools", { method: "PATCH", body: JSON.stringify({ approval: { timeoutMs: 1500 } }) });
    expect(patch.status).toBe(200);
    try {
      const p = await promptFor("delta");
      await replyContaining(p.before, "expired");
      const reply = await replyContaining(p.before, "I could not run it");
      expect(String(reply.params.text)).toMatch(/expired/);
      expect(existsSync(join(agent.dir, "workspace", "delta.txt"))).toBe(false);
      const audit = (await (await daemon.api("/api/audit")).json()) as { entries: AuditEntry[] };
      expect(audit.entries.find((e) => e.arguments.includes("delta"))).toMatchObject({ outcome: "expired", decidedBy: "expiry" });
    } finally {
      await daemon.api("/api/config/tools", { method: "PATCH", body: JSON.stringify({ approval: { timeoutMs: 120_000 } }) });
    }
  });
});

describe("other surfaces answer too", () => {
  it("a chat without buttons answers with /deny CODE (WhatsApp's way); someone else's /approve is refused", async () => {
    const p = await promptFor("golf");
    const code = /\/approve (\w+)/.exec(p.text)![1]!;
    await say({ userId: 4999, chatId: OWNER.chatId, userName: "intruder" }, `/approve ${code}`);
    await replyContaining(p.before, "only the person who started this run, or the owner, may answer");
    await say(OWNER, `/deny ${code}`);
    await replyContaining(p.before, "Done: exec denied");
    expect(String((await replyContaining(p.before, "I could not run it")).params.text)).toMatch(/denied/);
    expect(existsSync(join(agent.dir, "workspace", "golf.txt"))).toBe(false);
  });

  it("agentd chat asks in the terminal when its run waits, and runs the call on y", async () => {
    const child = spawn(process.execPath, [CLI, "chat", agent.dir], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (b) => (out += b));
    child.stderr.on("data", (b) => (out += b));
    const exited = new Promise<number | null>((r) => child.on("exit", r));
    try {
      await waitFor(() => out.includes("you> "), "the prompt");
      child.stdin.write("please run hotel\n");
      await waitFor(() => out.includes("allow? [y] once, [a] always, [n] deny"), "the approval question", 20_000);
      expect(out).toContain("[approval needed: exec echo hotel-ran");
      child.stdin.write("y\n");
      await waitFor(() => /Exec said: exit code 0\s+hotel-ran/.test(out), "the reply after the approval", 20_000);
      child.stdin.write("/quit\n");
      expect(await exited).toBe(0);
    } finally {
      child.kill();
    }
  });
});

describe("a daemon restart keeps a pending request", () => {
  it("the re-run waits on the same request, and the old button still answers it", async () => {
    const p = await promptFor("echo");
    const id = /ap:([^:]+):/.exec(p.buttons[0]!.callback_data)![1]!;
    await daemon.stop();
    daemon = await startDaemon(agent.dir);
    const after = (await (await daemon.api(`/api/approvals/${id}`)).json()) as { approval: Approval };
    expect(after.approval.state).toBe("pending");
    // the interrupted run is run again from its last step: the stored call waits on the same request
    await waitFor(async () => {
      const runs = (await (await daemon.api(`/api/approvals/${id}`)).json()) as { approval: Approval };
      return runs.approval.state === "pending";
    }, "the request still pending after the restart");
    await press(p.buttons[0]!.callback_data, p.messageId);
    expect(String((await replyContaining(p.before, "Exec said")).params.text)).toContain("echo-ran");
    // the model was not asked again for the call: the re-run resumed at the tool step
    expect(llm.requests.filter((r) => lastUser(r).includes("run echo") && toolResult(r) === undefined)).toHaveLength(1);
    expect(sentTo(OWNER.chatId).slice(p.before).filter((c) => buttonsOf(c).length > 0)).toHaveLength(1);
    const all = (await (await daemon.api("/api/approvals")).json()) as { approvals: Approval[] };
    expect(all.approvals.filter((a) => a.arguments.includes("echo-ran"))).toHaveLength(1);
  }, 60_000);
});

describe("pairing through the Telegram stand-in", () => {
  it("an unknown sender gets one code (nothing reaches the model); after agentd pairing approve their next message does", async () => {
    const stranger = { userId: 4200, chatId: 4200, userName: "stranger" };
    await say(stranger, "hello there, secret-one");
    const first = await waitFor(() => sentTo(stranger.chatId).find((c) => /pairing code is (\w+)/.test(String(c.params.text))), "the pairing code");
    const code = /pairing code is (\w+)/.exec(String(first.params.text))![1]!;
    await say(stranger, "hello again, secret-two");
    await say(stranger, "and again, secret-three");
    // the bridge forwarded them (the daemon stored them): wait until the third is in, then count the replies
    await waitFor(async () => {
      const res = (await (await daemon.api("/api/pairing")).json()) as { requests: Array<{ code: string }> };
      return res.requests.some((r) => r.code === code);
    }, "the pairing request listed");
    const approved = await runCli(["pairing", "approve", code, agent.dir]);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain("paired: telegram @stranger");
    await say(stranger, "now I may talk, secret-four");
    await waitFor(() => sentTo(stranger.chatId).find((c) => String(c.params.text).includes("secret-four")), "the model's reply to the paired sender", 20_000);
    expect(sentTo(stranger.chatId).filter((c) => /pairing code/.test(String(c.params.text)))).toHaveLength(1);
    expect(llm.requests.some((r) => /secret-(one|two|three)/.test(JSON.stringify(r.body)))).toBe(false);
    const listed = await runCli(["pairing", "list", agent.dir]);
    expect(listed.stdout).toMatch(/telegram\s+4200\s+stranger/);
  });

  it("the owner's chat gets the pairing request with a button; pressing it lets the sender in", async () => {
    const stranger = { userId: 4300, chatId: 4300, userName: "visitor" };
    const before = sentTo(OWNER.chatId).length;
    await say(stranger, "hi, secret-five");
    const request = await waitFor(() => sentTo(OWNER.chatId).slice(before).find((c) => /Pairing request: @visitor/.test(String(c.params.text))), "the pairing request in the owner's chat");
    const button = buttonsOf(request)[0]!;
    expect(button.text).toBe("Let them in");
    await press(button.callback_data, Number(request.result.message_id));
    await waitFor(() => shim.toasts().find((t) => t.includes("@visitor may talk to the agent now")), "the toast");
    await say(stranger, "thanks, secret-six");
    await waitFor(() => sentTo(stranger.chatId).find((c) => String(c.params.text).includes("secret-six")), "the model's reply to the paired sender", 20_000);
    expect(llm.requests.some((r) => JSON.stringify(r.body).includes("secret-five"))).toBe(false);
  });
});
