import { randomInt } from "node:crypto";
import type { Logger } from "pino";
import type { Store } from "../store/store.js";
import { toWireApproval, toWireAudit, type ApprovalRow } from "../store/approval-queries.js";
import { newId } from "../store/ids.js";
import type { Outbox } from "../deliveries/outbox.js";
import type { RunHandle } from "../agent/run-handle.js";
import type { ToolCall } from "../../protocol/chat.js";
import type { DeliveryAddress, DeliveryButton } from "../../protocol/deliveries.js";
import type { Approval, ApprovalDecision, AuditEntry } from "../../protocol/approvals.js";
import { AgentdError, ConflictError, NotFoundError } from "../errors.js";
import type { ApprovalConfig, OwnerChat } from "../config/sections/approvals.js";
import { decideAction } from "./policy.js";
import { approvalPrompt, decisionNotice } from "./messages.js";

/** Letters and digits that cannot be mistaken for one another (no 0/O, 1/I/L): the alphabet of short codes. */
export const CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/** A random short code of `length` characters from {@link CODE_ALPHABET} (crypto-random). */
export function shortCode(length = 6): string {
  let s = "";
  for (let i = 0; i < length; i++) s += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return s;
}

/** The `callback_data` of an approval button: `ap:<id>:<decision>` (under Telegram's 64 bytes). */
export const buttonData = (id: string, decision: ApprovalDecision) => `ap:${id}:${decision}`;

/** One tool call the gate is asked about. `argsText` is the arguments as the model sent them (JSON text). */
export interface GateCall {
  tool: string;
  args: unknown;
  argsText: string;
  toolCallId: string;
  runId: string;
  sessionId: string;
  /** The chat user who started the run (`platform:userId`), who may answer besides the owner. */
  answerer?: string | undefined;
  /** Where the prompt goes (the chats the run answers to). */
  deliverTo: DeliveryAddress[];
  signal: AbortSignal;
  /** Called once the call waits for an answer (the run's status says so). */
  onWait?: (approval: Approval) => void;
}

/** The gate's verdict: run the tool, or send `message` to the model as the tool's (error) result. */
export type GateVerdict = { ok: true } | { ok: false; message: string };

/** Who answers: `owner` (a token holder) or a chat user. */
export type Decider = "owner" | { platform: string; userId: string; userName?: string | undefined };

type Listener = (event: "approval.requested" | "approval.decided", approval: Approval) => void;

/**
 * The approval mechanism (issue 13). A tool call whose policy says `ask` (see {@link decideAction}) becomes a
 * persisted request; its prompt, with Approve once / Always / Deny buttons and a short code, goes through the
 * outbox to the chats of the run; the call waits until an answer (`decide`, from REST, the protocol, a bridge's
 * button, a `/approve CODE` chat command or `agentd approvals`) or the expiry (`tools.approval.timeoutMs`, default
 * 10 minutes: denied). The first answer wins (the row is only settled while pending); a later one gets a
 * {@link ConflictError} naming the first. "Always" stores a grant in SQLite: that tool with that subject (the
 * same command, path or url; any call of a tool without one) runs without asking from then on. Every call that
 * needed approval is written to the audit trail. Requests survive a restart: {@link recover} re-arms their
 * expiry, and a re-run of the waiting run asking the same call waits on the same request.
 */
export class ApprovalService {
  private readonly waiters = new Map<string, Set<(row: ApprovalRow) => void>>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly listeners = new Set<Listener>();
  private readonly now: () => number;

  constructor(private readonly deps: { store: Store; outbox: Outbox; config: () => ApprovalConfig; logger: Logger; now?: () => number; ownerChats?: () => OwnerChat[] }) {
    this.now = deps.now ?? Date.now;
  }

  /** Decides whether one tool call may run now; waits for an answer when its policy says `ask`. Never throws for a denial. */
  async check(call: GateCall): Promise<GateVerdict> {
    const cfg = this.deps.config();
    const { action, subject, keyed } = decideAction(call.tool, call.args, cfg);
    if (action === "allow") return { ok: true };
    const q = this.deps.store.approvals;
    if (action === "deny") {
      this.audit({ approvalId: null, tool: call.tool, arguments: call.argsText, sessionId: call.sessionId, runId: call.runId, outcome: "refused", decidedBy: "policy" });
      return { ok: false, message: `Error: the tool policy refuses this call of ${call.tool} (tools.approval.rules); it was not run.` };
    }
    const grant = q.grantsOf(call.tool).find((g) => g.pattern === "*" || g.pattern === subject);
    if (grant) {
      this.audit({ approvalId: grant.approvalId, tool: call.tool, arguments: call.argsText, sessionId: call.sessionId, runId: call.runId, outcome: "granted", decidedBy: `grant:${grant.id}` });
      return { ok: true };
    }
    let row = q.findForCall(call.runId, call.tool, call.argsText);
    if (!row || row.state === "cancelled") row = this.create(call, subject, keyed ? subject : "*", cfg.timeoutMs);
    if (row.state === "pending") {
      call.onWait?.(toWireApproval(row));
      row = await this.wait(row.id, call.signal);
      if (!row) return { ok: false, message: "Error: aborted while waiting for approval" };
    }
    return verdictOf(row);
  }

  /**
   * The run loop's gate ({@link import("../agent/run-loop.js").RunDeps.approve}): {@link check} for one call of a
   * run, with the run's chat user as answerer and its delivery targets as the prompt's chats.
   */
  gate(handle: RunHandle, call: ToolCall, args: unknown, onWait: (approvalId: string) => void): Promise<GateVerdict> {
    const ch = handle.channel;
    return this.check({
      tool: call.name, args, argsText: call.arguments, toolCallId: call.id, runId: handle.id, sessionId: handle.sessionId,
      answerer: ch ? `${ch.platform}:${ch.userId}` : undefined, deliverTo: handle.deliverTo, signal: handle.controller.signal,
      onWait: (a) => {
        handle.emit("approval.requested", { approval: a });
        onWait(a.id);
      },
    });
  }

  /** Creates a request, its prompt deliveries and its expiry timer; tells the listeners. */
  private create(call: GateCall, subject: string, grantPattern: string, timeoutMs: number): ApprovalRow {
    const now = this.now();
    const { store, outbox } = this.deps;
    // the owner's chats get the prompt too (once per chat), and the owner may answer from them
    const owners = this.deps.ownerChats?.() ?? [];
    const targets = [...call.deliverTo];
    for (const o of owners) if (!targets.some((t) => t.platform === o.platform && t.chatId === o.chatId)) targets.push({ platform: o.platform, chatId: o.chatId });
    const answerers = [...new Set([...(call.answerer ? [call.answerer] : []), ...owners.map((o) => `${o.platform}:${o.userId}`)])];
    call = { ...call, deliverTo: targets };
    const row: ApprovalRow = {
      id: newId("ap"), code: this.freeCode(), tool: call.tool, arguments: call.argsText, subject, grantPattern,
      sessionId: call.sessionId, runId: call.runId, toolCallId: call.toolCallId,
      answerers, deliverTo: call.deliverTo,
      state: "pending", decision: null, decidedBy: null, decidedAt: null, expiresAt: now + timeoutMs, createdAt: now,
    };
    const buttons: DeliveryButton[] = [
      { text: "Approve once", data: buttonData(row.id, "approve") },
      { text: "Always", data: buttonData(row.id, "always") },
      { text: "Deny", data: buttonData(row.id, "deny") },
    ];
    store.transaction(() => {
      store.approvals.insert(row);
      for (const address of call.deliverTo) {
        outbox.enqueue({ address: { ...address, replyTo: undefined }, text: approvalPrompt(row, timeoutMs), runId: call.runId, buttons, idempotencyKey: `approval:${row.id}:${address.platform}:${address.chatId}` });
      }
    });
    this.arm(row);
    this.deps.logger.info({ approvalId: row.id, tool: row.tool, runId: row.runId }, `tool call ${row.tool} waits for approval ${row.code}`);
    this.tell("approval.requested", row);
    return row;
  }

  private freeCode(): string {
    for (;;) {
      const code = shortCode();
      if (!this.deps.store.approvals.get(code)) return code;
    }
  }

  /** Resolves with the settled row, or undefined when `signal` aborts first. */
  private wait(id: string, signal: AbortSignal): Promise<ApprovalRow | undefined> {
    const current = this.deps.store.approvals.get(id);
    if (!current || current.state !== "pending") return Promise.resolve(current);
    return new Promise((resolve) => {
      const set = this.waiters.get(id) ?? new Set();
      this.waiters.set(id, set);
      const onAbort = () => {
        set.delete(done);
        resolve(undefined);
      };
      const done = (row: ApprovalRow) => {
        signal.removeEventListener("abort", onAbort);
        resolve(row);
      };
      set.add(done);
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Arms the expiry timer of a pending request. */
  private arm(row: ApprovalRow): void {
    clearTimeout(this.timers.get(row.id));
    const t = setTimeout(() => this.expire(row.id), Math.max(0, row.expiresAt - this.now()));
    t.unref();
    this.timers.set(row.id, t);
  }

  /**
   * Answers a pending request (by id or short code). `by` a chat user must be one of the request's answerers
   * (the person who started the run) else `unauthorized`; the owner may always answer. Throws `NotFoundError`
   * for an unknown request and `ConflictError` (details: the request) when it was already answered, expired or
   * cancelled: the first answer wins.
   */
  decide(idOrCode: string, decision: ApprovalDecision, by: Decider): Approval {
    const q = this.deps.store.approvals;
    const found = q.get(idOrCode);
    if (!found) throw new NotFoundError(`no approval request ${idOrCode}`);
    const who = by === "owner" ? "owner" : `${by.platform}:${by.userId}`;
    if (by !== "owner" && !found.answerers.includes(who)) {
      throw new AgentdError("unauthorized", "only the person who started this run, or the owner, may answer this request");
    }
    const settled = this.settle(found, { state: decision === "deny" ? "denied" : "approved", decision, decidedBy: who });
    if (!settled) {
      const now = q.get(found.id)!;
      throw new ConflictError(`approval ${found.code} was already answered: ${now.state}${now.decidedBy ? ` by ${now.decidedBy}` : ""}`, { approval: toWireApproval(now) });
    }
    return toWireApproval(settled);
  }

  /** Settles a pending request (answer, expiry, cancel) in one transaction with its grant, audit entry and notice. */
  private settle(row: ApprovalRow, set: { state: "approved" | "denied" | "expired" | "cancelled"; decision: ApprovalDecision | null; decidedBy: string }): ApprovalRow | undefined {
    const { store, outbox } = this.deps;
    const now = this.now();
    const settled = store.transaction(() => {
      const r = store.approvals.settle(row.id, { ...set, decidedAt: now });
      if (!r) return undefined;
      if (set.decision === "always") {
        store.approvals.addGrant({ id: newId("gr"), tool: r.tool, pattern: r.grantPattern, approvalId: r.id, createdBy: set.decidedBy, createdAt: now });
      }
      this.audit({ approvalId: r.id, tool: r.tool, arguments: r.arguments, sessionId: r.sessionId, runId: r.runId, outcome: set.state, decidedBy: set.decidedBy });
      if (set.state !== "cancelled") {
        for (const address of r.deliverTo) {
          outbox.enqueue({ address: { ...address, replyTo: undefined }, text: decisionNotice(r), runId: r.runId, idempotencyKey: `approval:${r.id}:settled:${address.platform}:${address.chatId}` });
        }
      }
      return r;
    });
    if (!settled) return undefined;
    clearTimeout(this.timers.get(settled.id));
    this.timers.delete(settled.id);
    for (const w of this.waiters.get(settled.id) ?? []) w(settled);
    this.waiters.delete(settled.id);
    this.deps.logger.info({ approvalId: settled.id, state: settled.state, by: settled.decidedBy }, `approval ${settled.code}: ${settled.state}`);
    this.tell("approval.decided", settled);
    return settled;
  }

  private expire(id: string): void {
    const row = this.deps.store.approvals.get(id);
    if (row?.state === "pending") this.settle(row, { state: "expired", decision: null, decidedBy: "expiry" });
  }

  /** Cancels the pending requests of a run that ended without them (e.g. `/stop`). */
  cancelRun(runId: string): void {
    for (const row of this.deps.store.approvals.pendingOfRun(runId)) this.settle(row, { state: "cancelled", decision: null, decidedBy: "run ended" });
  }

  /** At start: expires the requests whose time passed while the daemon was down and re-arms the others. Returns how many wait. */
  recover(): number {
    const q = this.deps.store.approvals;
    for (const row of q.due(this.now())) this.settle(row, { state: "expired", decision: null, decidedBy: "expiry" });
    const pending = q.list({ state: "pending", limit: 10_000 });
    for (const row of pending) this.arm(row);
    return pending.length;
  }

  /** Stops the expiry timers (the requests stay pending on disk). */
  stop(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /** Listens to requests and decisions until `signal` aborts. */
  listen(listener: Listener, signal?: AbortSignal): void {
    this.listeners.add(listener);
    signal?.addEventListener("abort", () => this.listeners.delete(listener), { once: true });
  }

  private tell(event: "approval.requested" | "approval.decided", row: ApprovalRow): void {
    const a = toWireApproval(row);
    for (const l of this.listeners) {
      try {
        l(event, a);
      } catch (err) {
        this.deps.logger.warn({ err }, "an approval listener failed");
      }
    }
  }

  private audit(entry: Omit<AuditEntry, "id" | "createdAt">): void {
    this.deps.store.approvals.audit({ id: newId("au"), ...entry, createdAt: this.now() });
  }

  /** Requests, newest first. */
  list(opts: { state?: Approval["state"] | undefined; limit: number }): Approval[] {
    return this.deps.store.approvals.list(opts).map(toWireApproval);
  }

  /** One request by id or code; `NotFoundError` when there is none. */
  get(idOrCode: string): Approval {
    const row = this.deps.store.approvals.get(idOrCode);
    if (!row) throw new NotFoundError(`no approval request ${idOrCode}`);
    return toWireApproval(row);
  }

  /** The audit trail, newest first. */
  auditList(limit: number): AuditEntry[] {
    return this.deps.store.approvals.auditList(limit).map(toWireAudit);
  }
}

/** What the model is told for a settled request. */
function verdictOf(row: ApprovalRow): GateVerdict {
  if (row.state === "approved") return { ok: true };
  if (row.state === "expired") return { ok: false, message: `Error: nobody approved this call of ${row.tool} in time; the request expired and the call was not run (denied).` };
  if (row.state === "cancelled") return { ok: false, message: `Error: the approval request for ${row.tool} was cancelled; the call was not run.` };
  return { ok: false, message: `Error: the owner denied this call of ${row.tool} (${row.decidedBy}); it was not run.` };
}
