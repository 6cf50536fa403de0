import type { MethodRegistry } from "./method-registry.js";
import type { methods } from "../../protocol/methods.js";
import type { Runner } from "../agent/runner.js";
import type { RunSubscriber } from "../agent/run-handle.js";
import type { EventName } from "../../protocol/events.js";
import type { Store } from "../store/store.js";
import { toWireMessage } from "../store/store.js";
import type { AgentInfo } from "../../protocol/agent.js";
import { NotFoundError } from "../errors.js";
import { TERMINAL_PLATFORM } from "../config/sections/channels.js";
import { authorize, seesAllSessions, writesAllSessions, type Principal } from "./scopes.js";

/**
 * Session ownership for tokens with only the `chat` scope (issue 15: "send and read its own sessions"): a named
 * token owns the sessions it creates; one that may not see (or post into) every session gets `not_found` for the
 * others, so it cannot even learn that they exist.
 */
export class SessionAccess {
  constructor(private readonly store: Store) {}

  /** Throws {@link NotFoundError} unless `principal` may post into session `sessionId`. */
  requireWritable(principal: Principal, sessionId: string): void {
    if (!writesAllSessions(principal)) this.requireOwn(principal, sessionId);
  }

  /** Throws {@link NotFoundError} unless `principal` may read session `sessionId`. */
  requireReadable(principal: Principal, sessionId: string): void {
    if (!seesAllSessions(principal)) this.requireOwn(principal, sessionId);
  }

  /** Records that a named token created `sessionId` (owner, bridge and web app sessions stay unowned). */
  claim(principal: Principal, sessionId: string): void {
    if (principal.kind === "token") this.store.tokens.setSessionOwner(sessionId, principal.name);
  }

  private requireOwn(principal: Principal, sessionId: string): void {
    if (this.store.tokens.sessionOwner(sessionId) !== principal.name) throw new NotFoundError(`no session ${sessionId}`, { sessionId });
  }
}

/**
 * A subscriber that holds a run's events until `release()` (then replays them in order and passes later ones
 * straight on) or drops them for good on `drop()`. `chat.send` starts the model call at once, in parallel with the
 * fdatasync of the accepted message, and releases the events only after it (issue 20): nothing of the reply
 * reaches the client before its message is on disk, and a lone turn does not wait for the fsync before its model
 * call.
 */
function heldUntil(subscriber: RunSubscriber): { subscriber: RunSubscriber; release: () => void; drop: () => void } {
  let buffer: Array<[EventName, unknown, number]> | undefined = [];
  let dropped = false;
  return {
    subscriber: (event, payload, seq) => {
      if (dropped) return;
      if (buffer) buffer.push([event, payload, seq]);
      else subscriber(event, payload, seq);
    },
    release: () => {
      const events = buffer ?? [];
      buffer = undefined;
      if (!dropped) for (const [event, payload, seq] of events) subscriber(event, payload, seq);
    },
    drop: () => {
      dropped = true;
      buffer = undefined;
    },
  };
}

/**
 * Registers the handlers of the core protocol methods (chat.*, sessions.*, agent.info) on the registry.
 * A message with a channel address needs the `bridge` scope, one from the `terminal` platform (it skips the
 * allowlists) `admin`; session ownership is applied by {@link SessionAccess}.
 */
export function registerCoreHandlers(
  registry: MethodRegistry<typeof methods>,
  deps: { runner: Runner; store: Store; agentInfo: () => AgentInfo },
): void {
  const { runner, store } = deps;
  const access = new SessionAccess(store);
  registry
    .on("chat.send", async (params, ctx) => {
      const p = ctx.principal;
      if (params.channel) authorize(p, "bridge", "chat.send with a channel address");
      // the terminal's channel skips the allowlists (what `agentd chat` sends): the owner's alone
      if (params.channel?.platform === TERMINAL_PLATFORM) authorize(p, "admin", "chat.send as the terminal");
      if (params.sessionId) access.requireWritable(p, params.sessionId);
      if (!writesAllSessions(p)) {
        // an idempotency key is global: a resend must not attach a token to another token's run
        const existing = store.findRunByKey(params.idempotencyKey);
        if (existing) access.requireWritable(p, existing.sessionId);
      }
      // the run starts at once, in parallel with the fdatasync below; its events wait for it (see heldUntil)
      const held = ctx.subscriber ? heldUntil(ctx.subscriber) : undefined;
      const sent = runner.send(params, held?.subscriber);
      if (!params.sessionId && !sent.duplicate) access.claim(p, sent.sessionId);
      // the answer is the acknowledgement: the message must survive a power cut first (group commit, one
      // fdatasync for every message accepted meanwhile)
      try {
        await store.durable();
      } catch (err) {
        held?.drop();
        throw err;
      }
      // after the answer (queued by the transport as this handler's promise settles): the events seen meanwhile
      if (held) process.nextTick(held.release);
      return sent;
    })
    .on("chat.abort", (params, ctx) => {
      const run = params.runId ? store.getRun(params.runId) : undefined;
      const sessionId = run?.sessionId ?? params.sessionId;
      if (sessionId) access.requireWritable(ctx.principal, sessionId);
      else if (!writesAllSessions(ctx.principal)) return { aborted: false };
      return { aborted: runner.abort(params) };
    })
    .on("chat.history", (params, ctx) => {
      access.requireReadable(ctx.principal, params.sessionId);
      store.requireSession(params.sessionId);
      return { messages: store.history(params.sessionId, params.limit, params.beforeId).map(toWireMessage) };
    })
    .on("sessions.list", (params, ctx) => ({
      sessions: seesAllSessions(ctx.principal) ? store.listSessions(params.limit) : store.listSessionsOwnedBy(ctx.principal.name, params.limit),
    }))
    .on("sessions.create", (params, ctx) => {
      const session = store.createSession(params.title);
      access.claim(ctx.principal, session.id);
      return { session };
    })
    .on("sessions.rename", (params, ctx) => {
      access.requireWritable(ctx.principal, params.sessionId);
      store.requireSession(params.sessionId);
      store.setTitle(params.sessionId, params.title);
      return { session: store.requireSession(params.sessionId) };
    })
    .on("sessions.delete", (params, ctx) => {
      access.requireWritable(ctx.principal, params.sessionId);
      store.deleteSession(params.sessionId);
      return { sessionId: params.sessionId, deleted: true as const };
    })
    .on("agent.info", () => deps.agentInfo());
}
