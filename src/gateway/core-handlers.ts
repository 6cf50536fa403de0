import type { MethodRegistry } from "./method-registry.js";
import type { methods } from "../../protocol/methods.js";
import type { Runner } from "../agent/runner.js";
import type { Store } from "../store/store.js";
import { toWireMessage } from "../store/store.js";
import type { AgentInfo } from "../../protocol/agent.js";

/**
 * Registers the handlers of the core protocol methods (chat.*, sessions.*, agent.info) on the registry.
 */
export function registerCoreHandlers(
  registry: MethodRegistry<typeof methods>,
  deps: { runner: Runner; store: Store; agentInfo: () => AgentInfo },
): void {
  const { runner, store } = deps;
  registry
    .on("chat.send", async (params, ctx) => {
      const sent = runner.send(params, ctx.subscriber);
      // the answer is the acknowledgement: the message must survive a power cut first (group commit, one
      // fdatasync for every message accepted meanwhile; the run itself starts at once)
      await store.durable();
      return sent;
    })
    .on("chat.abort", (params) => ({ aborted: runner.abort(params) }))
    .on("chat.history", (params) => {
      store.requireSession(params.sessionId);
      return { messages: store.history(params.sessionId, params.limit, params.beforeId).map(toWireMessage) };
    })
    .on("sessions.list", (params) => ({ sessions: store.listSessions(params.limit) }))
    .on("sessions.create", (params) => ({ session: store.createSession(params.title) }))
    .on("sessions.rename", (params) => {
      store.requireSession(params.sessionId);
      store.setTitle(params.sessionId, params.title);
      return { session: store.requireSession(params.sessionId) };
    })
    .on("sessions.delete", (params) => {
      store.deleteSession(params.sessionId);
      return { sessionId: params.sessionId, deleted: true as const };
    })
    .on("agent.info", () => deps.agentInfo());
}
