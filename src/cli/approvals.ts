import { resolve } from "node:path";
import { AgentdClient, ProtocolError } from "../../protocol/client.js";
import type { Approval } from "../../protocol/approvals.js";
import { AgentdError } from "../errors.js";
import { table } from "./ops.js";

const write = (s: string) => process.stdout.write(s);

/** Connects to the folder's running daemon (proved handshake, no reconnects). */
async function connect(dir: string): Promise<AgentdClient> {
  try {
    return await AgentdClient.connect({ agentDir: resolve(dir), clientName: "agentd-cli", reconnect: false, requestTimeoutMs: 15_000 });
  } catch (err) {
    throw new AgentdError("unavailable", `the agent in ${resolve(dir)} is not running or cannot be reached (${(err as Error).message})`);
  }
}

/** Runs `fn` with a client and closes it; protocol errors print one line and give exit code 1. */
async function withClient(dir: string, fn: (c: AgentdClient) => Promise<number>): Promise<number> {
  const client = await connect(dir);
  try {
    return await fn(client);
  } catch (err) {
    if (err instanceof ProtocolError) {
      process.stderr.write(`agentd: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    client.close();
  }
}

const inMinutes = (isoTime: string) => {
  const s = Math.max(0, Math.round((Date.parse(isoTime) - Date.now()) / 1000));
  return s >= 60 ? `${Math.round(s / 60)} min` : `${s} s`;
};
const short = (s: string, n = 60) => (s.length > n ? `${s.slice(0, n - 1)}…` : s).replace(/\s+/g, " ");

/** The pending requests as a table (code, tool, what, session, expires in). */
export function approvalsTable(list: Approval[]): string {
  if (list.length === 0) return "no approval requests waiting\n";
  return table(["CODE", "TOOL", "CALL", "SESSION", "EXPIRES IN"], list.map((a) => [a.code, a.tool, short(a.subject), a.sessionId, inMinutes(a.expiresAt)]));
}

/**
 * `agentd approvals DIR` lists the tool calls waiting for approval; `agentd approvals approve|always|deny ID DIR`
 * answers one (ID: its id or short code) as the owner. Exit 1 when the answer is refused (already answered: the
 * first answer wins; unknown id).
 */
export async function approvalsCommand(args: string[], opts: { json?: boolean } = {}): Promise<number> {
  const [verb, id, dir] = args;
  if (verb === "approve" || verb === "always" || verb === "deny") {
    if (!id || !dir) throw new AgentdError("bad_request", "usage: agentd approvals approve|always|deny ID DIR");
    return withClient(dir, async (c) => {
      const { approval } = await c.request("approvals.decide", { id, decision: verb });
      write(opts.json ? `${JSON.stringify(approval)}\n` : `${approval.code} ${approval.tool}: ${approval.state}${verb === "always" ? ` (from now on: ${approval.grantPattern === "*" ? "every call" : "this exact call"})` : ""}\n`);
      return 0;
    });
  }
  if (!verb || args.length > 1) throw new AgentdError("bad_request", "usage: agentd approvals DIR | agentd approvals approve|always|deny ID DIR");
  return withClient(verb, async (c) => {
    const { approvals } = await c.request("approvals.list", { state: "pending" });
    write(opts.json ? `${JSON.stringify(approvals)}\n` : approvalsTable(approvals));
    if (!opts.json && approvals.length > 0) write(`answer with: agentd approvals approve|always|deny CODE ${verb}\n`);
    return 0;
  });
}

/**
 * `agentd pairing list DIR` (paired senders and waiting codes), `agentd pairing approve CODE DIR`,
 * `agentd pairing revoke PLATFORM USER_ID DIR`.
 */
export async function pairingCommand(args: string[], opts: { json?: boolean } = {}): Promise<number> {
  const [verb, ...rest] = args;
  if (verb === "approve" && rest.length === 2) {
    return withClient(rest[1]!, async (c) => {
      const { sender } = await c.request("pairing.approve", { code: rest[0]! });
      write(opts.json ? `${JSON.stringify(sender)}\n` : `paired: ${sender.platform} ${sender.userName ? `@${sender.userName} ` : ""}(id ${sender.userId}); their next message reaches the agent\n`);
      return 0;
    });
  }
  if (verb === "revoke" && rest.length === 3) {
    return withClient(rest[2]!, async (c) => {
      const { revoked } = await c.request("pairing.revoke", { platform: rest[0]!, userId: rest[1]! });
      write(revoked ? `revoked: ${rest[0]} ${rest[1]}\n` : `no paired sender ${rest[0]} ${rest[1]}\n`);
      return revoked ? 0 : 1;
    });
  }
  if (verb === "list" && rest.length === 1) {
    return withClient(rest[0]!, async (c) => {
      const res = await c.request("pairing.list", {});
      if (opts.json) write(`${JSON.stringify(res)}\n`);
      else {
        write(res.senders.length ? table(["PLATFORM", "USER ID", "NAME", "SINCE"], res.senders.map((s) => [s.platform, s.userId, s.userName ?? "", s.createdAt])) : "no paired senders\n");
        if (res.requests.length) write(`\nwaiting:\n${table(["CODE", "PLATFORM", "USER ID", "NAME", "EXPIRES IN"], res.requests.map((r) => [r.code, r.platform, r.userId, r.userName ?? "", inMinutes(r.expiresAt)]))}`);
      }
      return 0;
    });
  }
  throw new AgentdError("bad_request", "usage: agentd pairing list DIR | agentd pairing approve CODE DIR | agentd pairing revoke PLATFORM USER_ID DIR");
}
