import { and, desc, eq, isNull, lte, or } from "drizzle-orm";
import type { Db } from "./db.js";
import { guardStorage } from "./db.js";
import { builtOnFirstUse } from "./first-use.js";
import { p } from "./placeholders.js";
import { approvals, approvalGrants, toolAudit, pairedSenders, pairingCodes } from "./schema.js";
import type { Approval, ApprovalState, AuditEntry } from "../../protocol/approvals.js";

/** A stored approval request (camelCase properties, times in epoch ms). */
export type ApprovalRow = typeof approvals.$inferSelect;
/** A stored "always" grant. */
export type GrantRow = typeof approvalGrants.$inferSelect;
/** A stored audit entry. */
export type AuditRow = typeof toolAudit.$inferSelect;
/** A stored paired sender. */
export type PairedSenderRow = typeof pairedSenders.$inferSelect;
/** A stored pairing code. */
export type PairingCodeRow = typeof pairingCodes.$inferSelect;

const iso = (ms: number) => new Date(ms).toISOString();

/** Converts a stored row into the wire {@link Approval} shape. */
export function toWireApproval(r: ApprovalRow): Approval {
  return {
    id: r.id, code: r.code, tool: r.tool, arguments: r.arguments, subject: r.subject, grantPattern: r.grantPattern,
    sessionId: r.sessionId, runId: r.runId, toolCallId: r.toolCallId, answerers: r.answerers,
    state: r.state, decision: r.decision, decidedBy: r.decidedBy, decidedAt: r.decidedAt === null ? null : iso(r.decidedAt),
    expiresAt: iso(r.expiresAt), createdAt: iso(r.createdAt),
  };
}

/** Converts a stored audit row into the wire {@link AuditEntry} shape. */
export function toWireAudit(r: AuditRow): AuditEntry {
  return { ...r, createdAt: iso(r.createdAt) };
}

/** The pending requests of run `$runId` (placeholder `runId`), as a prepared query. */
const preparePendingOfRun = (db: Db) =>
  db.select().from(approvals).where(and(eq(approvals.runId, p("runId")), eq(approvals.state, "pending"))).prepare();

/**
 * The SQL of approvals, "always" grants, the tool audit trail and pairing (issue 13). Synchronous; inside a
 * `Store.transaction` each call joins it. A decision is guarded by `state = 'pending'` in the WHERE clause, so of
 * two answers only the first changes the row. Storage failures surface as `StorageError`.
 */
export class ApprovalQueries {
  /**
   * The query every run's end makes ({@link pendingOfRun}), prepared once: built per call it cost ~0.5 ms a turn
   * (issue 20). Prepared on the first run's end ({@link builtOnFirstUse}), not in the constructor: before listen it
   * cost ~2 ms of cold code.
   */
  private readonly q;

  constructor(private readonly db: Db) {
    this.q = builtOnFirstUse({ pendingOfRun: () => preparePendingOfRun(db) });
  }

  /** Inserts a new request. */
  insert(row: ApprovalRow): void {
    guardStorage("store the approval request", () => this.db.insert(approvals).values(row).run());
  }

  /** The request with this id or short code (codes are compared in upper case), or undefined. */
  get(idOrCode: string): ApprovalRow | undefined {
    return this.db.select().from(approvals).where(or(eq(approvals.id, idOrCode), eq(approvals.code, idOrCode.toUpperCase()))).get();
  }

  /** Requests, newest first, optionally in one state. */
  list(opts: { state?: ApprovalState | undefined; limit: number }): ApprovalRow[] {
    const q = this.db.select().from(approvals);
    return (opts.state ? q.where(eq(approvals.state, opts.state)) : q).orderBy(desc(approvals.createdAt), desc(approvals.id)).limit(opts.limit).all();
  }

  /** The latest request of `runId` for the same tool and arguments (a re-run after a restart asks the same). */
  findForCall(runId: string, tool: string, args: string): ApprovalRow | undefined {
    return this.db.select().from(approvals)
      .where(and(eq(approvals.runId, runId), eq(approvals.tool, tool), eq(approvals.arguments, args)))
      .orderBy(desc(approvals.createdAt)).get();
  }

  /** Pending requests whose expiry is at or before `now`. */
  due(now: number): ApprovalRow[] {
    return this.db.select().from(approvals).where(and(eq(approvals.state, "pending"), lte(approvals.expiresAt, now))).all();
  }

  /** Pending requests of one run. */
  pendingOfRun(runId: string): ApprovalRow[] {
    return this.q.pendingOfRun.all({ runId });
  }

  /** Settles a pending request; returns the updated row, or undefined when it was no longer pending (answered first elsewhere). */
  settle(id: string, set: { state: Exclude<ApprovalState, "pending">; decision: ApprovalRow["decision"]; decidedBy: string; decidedAt: number }): ApprovalRow | undefined {
    return guardStorage("store the approval decision", () =>
      this.db.update(approvals).set(set).where(and(eq(approvals.id, id), eq(approvals.state, "pending"))).returning().get(),
    );
  }

  /** Adds an "always" grant (a repeat of the same tool and pattern keeps the first). */
  addGrant(row: GrantRow): void {
    guardStorage("store the approval grant", () => this.db.insert(approvalGrants).values(row).onConflictDoNothing().run());
  }

  /** Every grant, newest first. */
  grants(): GrantRow[] {
    return this.db.select().from(approvalGrants).orderBy(desc(approvalGrants.createdAt)).all();
  }

  /** Grants of one tool. */
  grantsOf(tool: string): GrantRow[] {
    return this.db.select().from(approvalGrants).where(eq(approvalGrants.tool, tool)).all();
  }

  /** Removes a grant; true when one was removed. */
  revokeGrant(id: string): boolean {
    return guardStorage("remove the approval grant", () => this.db.delete(approvalGrants).where(eq(approvalGrants.id, id)).run().changes > 0);
  }

  /** Appends one audit entry. */
  audit(row: AuditRow): void {
    guardStorage("store the audit entry", () => this.db.insert(toolAudit).values(row).run());
  }

  /** The audit trail, newest first. */
  auditList(limit: number): AuditRow[] {
    return this.db.select().from(toolAudit).orderBy(desc(toolAudit.createdAt), desc(toolAudit.id)).limit(limit).all();
  }

  /** Whether `userId` on `platform` was approved through pairing. */
  isPaired(platform: string, userId: string): boolean {
    return this.db.select({ u: pairedSenders.userId }).from(pairedSenders).where(and(eq(pairedSenders.platform, platform), eq(pairedSenders.userId, userId))).get() !== undefined;
  }

  /** Every paired sender, newest first. */
  pairedSenders(): PairedSenderRow[] {
    return this.db.select().from(pairedSenders).orderBy(desc(pairedSenders.createdAt)).all();
  }

  /** Stores a paired sender (a repeat keeps the first approval). */
  addPairedSender(row: PairedSenderRow): void {
    guardStorage("store the paired sender", () => this.db.insert(pairedSenders).values(row).onConflictDoNothing().run());
  }

  /** Removes a paired sender; true when one was removed. */
  revokePairedSender(platform: string, userId: string): boolean {
    return guardStorage("remove the paired sender", () =>
      this.db.delete(pairedSenders).where(and(eq(pairedSenders.platform, platform), eq(pairedSenders.userId, userId))).run().changes > 0,
    );
  }

  /** The sender's unused, unexpired pairing code, if any. */
  openCodeOf(platform: string, userId: string, now: number): PairingCodeRow | undefined {
    return this.db.select().from(pairingCodes)
      .where(and(eq(pairingCodes.platform, platform), eq(pairingCodes.userId, userId)))
      .orderBy(desc(pairingCodes.createdAt)).all().find((c) => c.usedAt === null && c.expiresAt > now);
  }

  /** A pairing code by its text (upper case). */
  code(code: string): PairingCodeRow | undefined {
    return this.db.select().from(pairingCodes).where(eq(pairingCodes.code, code.toUpperCase())).get();
  }

  /** Unused, unexpired pairing codes, newest first. */
  openCodes(now: number): PairingCodeRow[] {
    return this.db.select().from(pairingCodes).orderBy(desc(pairingCodes.createdAt)).all().filter((c) => c.usedAt === null && c.expiresAt > now);
  }

  /** Stores a new pairing code. */
  addCode(row: PairingCodeRow): void {
    guardStorage("store the pairing code", () => this.db.insert(pairingCodes).values(row).run());
  }

  /** Marks a code used; false when it was already used (the first approval wins). */
  useCode(code: string, now: number): boolean {
    return guardStorage("use the pairing code", () =>
      this.db.update(pairingCodes).set({ usedAt: now }).where(and(eq(pairingCodes.code, code), isNull(pairingCodes.usedAt))).run().changes > 0,
    );
  }
}
