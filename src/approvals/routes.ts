import { z } from "zod";
import { defineRoute, queryInt } from "../gateway/router.js";
import { Approval, ApprovalDecision, ApprovalGrant, ApprovalState, AuditEntry, PairedSender, PairingRequest } from "../../protocol/approvals.js";

const byId = z.strictObject({ id: z.string().min(1).max(64) });
const one = z.strictObject({ approval: Approval });

/** The REST routes of approvals, the audit trail and pairing (issue 13); each mirrors a protocol method. */
export const approvalRoutes = {
  list: defineRoute({
    method: "get", path: "/api/approvals", tag: "approvals",
    summary: "Approval requests, newest first; `state=pending` lists the tool calls waiting for an answer.",
    query: z.strictObject({ state: ApprovalState.optional(), limit: queryInt(1, 1000).default(100) }),
    response: z.strictObject({ approvals: z.array(Approval) }),
  }),
  get: defineRoute({
    method: "get", path: "/api/approvals/{id}", tag: "approvals",
    summary: "One approval request, by id or short code.", params: byId, response: one, errors: [404],
  }),
  decide: defineRoute({
    method: "post", path: "/api/approvals/{id}", tag: "approvals",
    summary: "Answer a pending request as the owner: approve (once), always (this tool and pattern from now on) or deny. The first answer wins: a later one is 409 naming it.",
    params: byId, body: z.strictObject({ decision: ApprovalDecision }), response: one, errors: [404, 409],
  }),
  grants: defineRoute({
    method: "get", path: "/api/approvals/grants", tag: "approvals",
    summary: "The \"always\" answers in force: calls of `tool` whose subject matches `pattern` run without asking.",
    response: z.strictObject({ grants: z.array(ApprovalGrant) }),
  }),
  revokeGrant: defineRoute({
    method: "delete", path: "/api/approvals/grants/{id}", tag: "approvals",
    summary: "Remove an \"always\" answer; those calls ask again.", params: byId, response: z.strictObject({ revoked: z.boolean() }), errors: [404],
  }),
  audit: defineRoute({
    method: "get", path: "/api/audit", tag: "approvals",
    summary: "The audit trail: every tool call that needed approval, its outcome (approved, denied, expired, cancelled, granted, refused), who decided and when; newest first.",
    query: z.strictObject({ limit: queryInt(1, 1000).default(100) }),
    response: z.strictObject({ entries: z.array(AuditEntry) }),
  }),
  pairing: defineRoute({
    method: "get", path: "/api/pairing", tag: "pairing",
    summary: "Senders approved through pairing, and the codes still waiting for the owner.",
    response: z.strictObject({ senders: z.array(PairedSender), requests: z.array(PairingRequest) }),
  }),
  pairingApprove: defineRoute({
    method: "post", path: "/api/pairing/approve", tag: "pairing",
    summary: "Approve the sender who got this pairing code; their next message reaches the agent. 404 unknown code, 409 expired or used.",
    body: z.strictObject({ code: z.string().min(1).max(32) }), response: z.strictObject({ sender: PairedSender }), errors: [404, 409],
  }),
  pairingRevoke: defineRoute({
    method: "delete", path: "/api/pairing/{platform}/{userId}", tag: "pairing",
    summary: "Remove a paired sender; their next message gets a new pairing code.",
    params: z.strictObject({ platform: z.string().min(1).max(32), userId: z.string().min(1).max(128) }), response: z.strictObject({ revoked: z.boolean() }), errors: [404],
  }),
};
