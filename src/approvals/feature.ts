import type { FeatureFactory } from "../feature.js";
import { AgentdError } from "../errors.js";

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The approvals feature (issue 13): the `approvals.*` and `audit.list` protocol methods (pairing's are the channels
 * feature's), the approval events to subscribed connections, the recovery of pending requests at start, and the
 * cancellation of a run's pending requests when it ends without them (not when the daemon's stop interrupts it:
 * the run is re-run at the next start and waits on the same request). The service itself is `ctx.approvals`.
 */
export const approvalsFeature: FeatureFactory = (ctx) => {
  const approvals = ctx.approvals;
  const log = ctx.logger.child({ component: "approvals" });
  const grants = () => ({ grants: ctx.store.approvals.grants().map((g) => ({ ...g, createdAt: iso(g.createdAt) })) });
  return {
    name: "approvals",
    runHooks: {
      onRunEnd: ({ handle, status }) => {
        if (status !== "interrupted") approvals.cancelRun(handle.id);
      },
    },
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
        .on("audit.list", (p) => ({ entries: approvals.auditList(p.limit) }));
    },
    start: () => {
      const waiting = approvals.recover();
      if (waiting > 0) log.info({ waiting }, `${waiting} approval request(s) still wait for an answer`);
    },
    stop: async () => approvals.stop(),
  };
};
