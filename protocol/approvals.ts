import { z } from "zod";
import { defineEvent, defineMethod } from "./method-spec.js";

/** An answer to an approval request: run it once, run it and every later call of the same pattern, or refuse. */
export const ApprovalDecision = z.enum(["approve", "always", "deny"]);
/** See {@link ApprovalDecision}. */
export type ApprovalDecision = z.infer<typeof ApprovalDecision>;

/**
 * The state of an approval request: `pending` (the run waits), `approved`, `denied`, `expired` (nobody answered
 * in time: denied) or `cancelled` (the run ended without it, e.g. /stop).
 */
export const ApprovalState = z.enum(["pending", "approved", "denied", "expired", "cancelled"]);
/** See {@link ApprovalState}. */
export type ApprovalState = z.infer<typeof ApprovalState>;

/**
 * Who answered: `owner` (a holder of the daemon's token: REST, WebSocket, `agentd approvals`) or a chat user
 * (`platform:userId`), `expiry` for an expired request.
 */
const Answerer = z.string().max(200);

/**
 * One approval request (issue 13): the tool call (name, arguments as JSON text, `subject`: the command, path or
 * url the policy matched), the session and run that wait, who may answer from a chat (`answerers`, besides the
 * owner), the short `code` a chat user answers with (`/approve CODE`), when it expires, and its outcome.
 * Times are ISO 8601 UTC strings.
 */
export const Approval = z.strictObject({
  id: z.string(),
  code: z.string(),
  tool: z.string(),
  arguments: z.string(),
  subject: z.string(),
  /** What "always" would allow from now on: `tool` calls whose subject matches this glob. */
  grantPattern: z.string(),
  sessionId: z.string(),
  runId: z.string(),
  toolCallId: z.string(),
  answerers: z.array(z.string()),
  state: ApprovalState,
  decision: ApprovalDecision.nullable(),
  decidedBy: Answerer.nullable(),
  decidedAt: z.string().nullable(),
  expiresAt: z.string(),
  createdAt: z.string(),
});
/** See {@link Approval}. */
export type Approval = z.infer<typeof Approval>;

/** A chat user answering through a bridge (a button press): checked against the request's `answerers`. */
export const ApprovalAnswerer = z.strictObject({
  platform: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/),
  userId: z.string().min(1).max(128),
  userName: z.string().max(128).optional(),
});

/** Params of `approvals.decide`: the request (by id or short code), the decision, and the chat user who pressed a button. */
export const ApprovalDecideParams = z.strictObject({
  id: z.string().min(1).max(64),
  decision: ApprovalDecision,
  by: ApprovalAnswerer.optional(),
});

/** One row of the audit trail: a tool call that needed approval, its outcome, who decided and when. */
export const AuditEntry = z.strictObject({
  id: z.string(),
  approvalId: z.string().nullable(),
  tool: z.string(),
  arguments: z.string(),
  sessionId: z.string(),
  runId: z.string(),
  outcome: z.enum(["approved", "denied", "expired", "cancelled", "granted", "refused"]),
  decidedBy: z.string(),
  createdAt: z.string(),
});
/** See {@link AuditEntry}. */
export type AuditEntry = z.infer<typeof AuditEntry>;

/** An "Always for this pattern" answer: calls of `tool` whose subject matches `pattern` run without asking. */
export const ApprovalGrant = z.strictObject({ id: z.string(), tool: z.string(), pattern: z.string(), approvalId: z.string().nullable(), createdBy: z.string(), createdAt: z.string() });

/** A sender the owner approved through pairing. */
export const PairedSender = z.strictObject({ platform: z.string(), userId: z.string(), userName: z.string().nullable(), approvedBy: z.string(), createdAt: z.string() });
/** A pairing code still waiting for the owner. */
export const PairingRequest = z.strictObject({ code: z.string(), platform: z.string(), userId: z.string(), userName: z.string().nullable(), chatId: z.string(), expiresAt: z.string(), createdAt: z.string() });

const oneApproval = z.strictObject({ approval: Approval });

/** The approval, audit and pairing methods of the protocol (issue 13). */
export const approvalMethods = {
  "approvals.list": defineMethod({ scope: ["read"],
    params: z.strictObject({ state: ApprovalState.optional(), limit: z.number().int().min(1).max(1000).default(100) }),
    result: z.strictObject({ approvals: z.array(Approval) }),
    description: "Approval requests, newest first (pending ones are waiting runs), filtered by state.",
    rest: { method: "get", path: "/api/approvals", tag: "approvals", summary: "Approval requests, newest first; `state=pending` lists the tool calls waiting for an answer." },
  }),
  "approvals.get": defineMethod({ scope: ["read"], params: z.strictObject({ id: z.string().min(1).max(64) }), result: oneApproval, description: "One approval request by id or short code.",
    rest: { method: "get", path: "/api/approvals/{id}", tag: "approvals", summary: "One approval request, by id or short code.", errors: [404] },
  }),
  "approvals.decide": defineMethod({ scope: ["bridge"],
    params: ApprovalDecideParams,
    result: oneApproval,
    description: "Answer a pending request: approve once, always (this tool and pattern from now on), or deny. The first answer wins; a later one is a conflict naming it.",
    sideEffect: true,
  }),
  "approvals.subscribe": defineMethod({ scope: ["read"],
    params: z.strictObject({}),
    result: z.strictObject({ pending: z.array(Approval) }),
    description: "Receive approval.requested and approval.decided events on this connection; answers with the pending requests.",
    sideEffect: true,
  }),
  "approvals.grants": defineMethod({ scope: ["read"], params: z.strictObject({}), result: z.strictObject({ grants: z.array(ApprovalGrant) }), description: "The \"always\" answers in force.",
    rest: { method: "get", path: "/api/approvals/grants", tag: "approvals", summary: "The \"always\" answers in force: calls of `tool` whose subject matches `pattern` run without asking." },
  }),
  "approvals.revokeGrant": defineMethod({ scope: "admin",
    params: z.strictObject({ id: z.string().min(1).max(64) }), result: z.strictObject({ revoked: z.boolean() }),
    description: "Remove an \"always\" answer: those calls ask again.", sideEffect: true,
  }),
  "audit.list": defineMethod({ scope: ["read"],
    params: z.strictObject({ limit: z.number().int().min(1).max(1000).default(100) }),
    result: z.strictObject({ entries: z.array(AuditEntry) }),
    description: "The audit trail of tool calls that needed approval, newest first.",
    rest: {
      method: "get", path: "/api/audit", tag: "approvals",
      summary: "The audit trail: every tool call that needed approval, its outcome (approved, denied, expired, cancelled, granted, refused), who decided and when; newest first.",
    },
  }),
  "pairing.list": defineMethod({ scope: ["read"],
    params: z.strictObject({}),
    result: z.strictObject({ senders: z.array(PairedSender), requests: z.array(PairingRequest) }),
    description: "Senders approved through pairing, and the codes still waiting for the owner.",
    rest: { method: "get", path: "/api/pairing", tag: "pairing", summary: "Senders approved through pairing, and the codes still waiting for the owner." },
  }),
  "pairing.approve": defineMethod({ scope: ["bridge"],
    params: z.strictObject({ code: z.string().min(1).max(32), by: ApprovalAnswerer.optional() }),
    result: z.strictObject({ sender: PairedSender }),
    description: "Approve the sender who got this pairing code: their next message reaches the agent. `by`: the chat user who pressed the button in an owner's chat (must be in owner.chats).",
    sideEffect: true,
  }),
  "pairing.revoke": defineMethod({ scope: "admin",
    params: z.strictObject({ platform: z.string().min(1).max(32), userId: z.string().min(1).max(128) }),
    result: z.strictObject({ revoked: z.boolean() }),
    description: "Remove a paired sender: their next message gets a new pairing code.",
    sideEffect: true,
  }),
};

/** The approval events (to `approvals.subscribe` connections and to the waiting run's subscribers). */
export const approvalEvents = {
  "approval.requested": defineEvent({ payload: z.strictObject({ approval: Approval }), description: "A tool call waits for an answer (approvals.decide)." }),
  "approval.decided": defineEvent({ payload: z.strictObject({ approval: Approval }), description: "An approval request was answered, expired or cancelled." }),
};
