import { z } from "zod";
import { Approval, ApprovalDecision, PairedSender } from "../../../protocol/approvals.js";
import type { DaemonContext } from "../../feature.js";
import { NotFoundError } from "../../errors.js";
import { Pairing, wireSender } from "../../channels/pairing.js";
import { defineRoute, type Router } from "../router.js";

const byId = z.strictObject({ id: z.string().min(1).max(64) });
const one = z.strictObject({ approval: Approval });

/**
 * The REST routes of approvals and pairing that are not a protocol method's mapping (issue 13): the owner's
 * answers (admin; the methods take a bridge's `by`) and revocations that answer 404 for an unknown id.
 */
export const approvalRoutes = {
  decide: defineRoute({ scope: "admin",
    method: "post", path: "/api/approvals/{id}", tag: "approvals",
    summary: "Answer a pending request as the owner: approve (once), always (this tool and pattern from now on) or deny. The first answer wins: a later one is 409 naming it.",
    params: byId, body: z.strictObject({ decision: ApprovalDecision }), response: one, errors: [404, 409],
  }),
  revokeGrant: defineRoute({ scope: "admin",
    method: "delete", path: "/api/approvals/grants/{id}", tag: "approvals",
    summary: "Remove an \"always\" answer; those calls ask again.", params: byId, response: z.strictObject({ revoked: z.boolean() }), errors: [404],
  }),
  pairingApprove: defineRoute({ scope: "admin",
    method: "post", path: "/api/pairing/approve", tag: "pairing",
    summary: "Approve the sender who got this pairing code; their next message reaches the agent. 404 unknown code, 409 expired or used.",
    body: z.strictObject({ code: z.string().min(1).max(32) }), response: z.strictObject({ sender: PairedSender }), errors: [404, 409],
  }),
  pairingRevoke: defineRoute({ scope: "admin",
    method: "delete", path: "/api/pairing/{platform}/{userId}", tag: "pairing",
    summary: "Remove a paired sender; their next message gets a new pairing code.",
    params: z.strictObject({ platform: z.string().min(1).max(32), userId: z.string().min(1).max(128) }), response: z.strictObject({ revoked: z.boolean() }), errors: [404],
  }),
};

/** Mounts the owner's approval and pairing routes over `ctx.approvals` and the pairing table (admin scope). */
export function mountApprovalRoutes(router: Router, ctx: Pick<DaemonContext, "approvals" | "store">): void {
  const pairing = new Pairing(ctx.store);
  router
    .route(approvalRoutes.revokeGrant, ({ params }) => {
      if (!ctx.store.approvals.revokeGrant(params.id)) throw new NotFoundError(`no grant ${params.id}`);
      return { revoked: true };
    })
    .route(approvalRoutes.decide, ({ params, body }) => ({ approval: ctx.approvals.decide(params.id, body.decision, "owner") }))
    .route(approvalRoutes.pairingApprove, ({ body }) => ({ sender: wireSender(pairing.approve(body.code, "owner")) }))
    .route(approvalRoutes.pairingRevoke, ({ params }) => {
      if (!pairing.revoke(params.platform, params.userId)) throw new NotFoundError(`no paired sender ${params.platform}:${params.userId}`);
      return { revoked: true };
    });
}
