import type { FeatureFactory } from "../feature.js";
import { AgentdError, NotFoundError } from "../errors.js";
import { Pairing, wireSender } from "../channels/pairing.js";
import { approvalRoutes } from "./routes.js";

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The approvals feature (issue 13): the `approvals.*`, `audit.list` and `pairing.*` protocol methods and their
 * REST routes, the approval events to subscribed connections, the recovery of pending requests at start, and the
 * cancellation of a run's pending requests when it ends without them (not when the daemon's stop interrupts it:
 * the run is re-run at the next start and waits on the same request). The service itself is `ctx.approvals`.
 */
export const approvalsFeature: FeatureFactory = (ctx) => {
  const approvals = ctx.approvals;
  const pairing = new Pairing(ctx.store);
  const log = ctx.logger.child({ component: "approvals" });
  ctx.hooks.onEnd.push(({ handle, status }) => {
    if (status !== "interrupted") approvals.cancelRun(handle.id);
  });
  const grants = () => ({ grants: ctx.store.approvals.grants().map((g) => ({ ...g, createdAt: iso(g.createdAt) })) });
  const approvePairing = (code: string, by?: { platform: string; userId: string }) => {
    if (by && !ctx.config.get().owner.chats.some((o) => o.platform === by.platform && o.userId === by.userId)) {
      throw new AgentdError("unauthorized", "only the owner (owner.chats) may approve a pairing code from a chat");
    }
    return { sender: wireSender(pairing.approve(code, by ? `${by.platform}:${by.userId}` : "owner")) };
  };
  return {
    name: "approvals",
    handlers: (registry) => {
      registry
        .on("approvals.list", (p) => ({ approvals: approvals.list(p) }))
        .on("approvals.get", (p) => ({ approval: approvals.get(p.id) }))
        .on("approvals.decide", (p, call) => {
          // a bridge (bridge scope) answers only as the chat user who pressed the button; a token holder with admin as the owner
          if (!p.by && !call.principal.scopes.includes("admin")) throw new AgentdError("unauthorized", "approvals.decide without `by` needs the admin scope (a bridge answers as the chat user who pressed)");
          return { approval: approvals.decide(p.id, p.decision, p.by ?? "owner") };
        })
        .on("approvals.subscribe", (_p, call) => {
          if (!call.subscriber || !call.signal) throw new AgentdError("bad_request", "approvals.subscribe needs a WebSocket connection (the requests come as events)");
          const sink = call.subscriber;
          let seq = 0;
          approvals.listen((event, approval) => sink(event, { approval }, ++seq), call.signal);
          return { pending: approvals.list({ state: "pending", limit: 1000 }) };
        })
        .on("approvals.grants", () => grants())
        .on("approvals.revokeGrant", (p) => ({ revoked: ctx.store.approvals.revokeGrant(p.id) }))
        .on("audit.list", (p) => ({ entries: approvals.auditList(p.limit) }))
        .on("pairing.list", () => pairing.list())
        .on("pairing.approve", (p, call) => {
          if (!p.by && !call.principal.scopes.includes("admin")) throw new AgentdError("unauthorized", "pairing.approve without `by` needs the admin scope (a bridge answers as the owner's chat user who pressed)");
          return approvePairing(p.code, p.by);
        })
        .on("pairing.revoke", (p) => ({ revoked: pairing.revoke(p.platform, p.userId) }));
    },
    routes: (router) => {
      router
        .route(approvalRoutes.revokeGrant, ({ params }) => {
          if (!ctx.store.approvals.revokeGrant(params.id)) throw new NotFoundError(`no grant ${params.id}`);
          return { revoked: true };
        })
        .route(approvalRoutes.decide, ({ params, body }) => ({ approval: approvals.decide(params.id, body.decision, "owner") }))
        .route(approvalRoutes.pairingApprove, ({ body }) => approvePairing(body.code))
        .route(approvalRoutes.pairingRevoke, ({ params }) => {
          if (!pairing.revoke(params.platform, params.userId)) throw new NotFoundError(`no paired sender ${params.platform}:${params.userId}`);
          return { revoked: true };
        });
    },
    start: () => {
      const waiting = approvals.recover();
      if (waiting > 0) log.info({ waiting }, `${waiting} approval request(s) still wait for an answer`);
    },
    stop: async () => approvals.stop(),
  };
};
