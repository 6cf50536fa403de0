import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { EventQueue } from "../../protocol/event-queue.js";
import type { RunDonePayload, RunErrorPayload } from "../../protocol/events.js";
import type { ChatSendResult } from "../../protocol/chat.js";
import { AgentdError } from "../errors.js";
import type { Store } from "../store/store.js";
import type { DaemonRegistry } from "./method-registry.js";
import type { CallContext } from "../feature.js";
import type { Principal } from "./scopes.js";

/** A run event as a turn's queue yields it. */
export type TurnEvent = { event: string; payload: unknown; seq: number };

/** A started turn: what `chat.send` answered and the run's events, ending after `run.done` or `run.error`. */
export interface Turn {
  sent: z.output<typeof ChatSendResult>;
  events: EventQueue<TurnEvent>;
}

/**
 * Starts one chat turn through the `chat.send` operation (so scopes, ownership, idempotency and the queue are
 * exactly those of WebSocket and REST clients) and returns its events. `params.idempotencyKey` defaults to a
 * random one. Throws what `chat.send` throws (forbidden, not_found, rate_limited…); nothing is stored then.
 */
export async function startTurn(
  registry: DaemonRegistry,
  params: { text: string; sessionId?: string; model?: string; idempotencyKey?: string },
  principal: Principal,
  transport: CallContext["transport"],
): Promise<Turn> {
  const events = new EventQueue<TurnEvent>();
  const subscriber = (event: string, payload: unknown, seq: number) => {
    events.push({ event, payload, seq });
    if (event === "run.done" || event === "run.error") events.end();
  };
  const sent = await registry.call("chat.send", { ...params, idempotencyKey: params.idempotencyKey ?? randomUUID() }, { transport, subscriber, principal });
  return { sent, events };
}

/** The end of a turn: `run.done`'s payload, or an {@link AgentdError} carrying `run.error`'s wire error. */
export async function finishTurn(turn: Turn, onDelta?: (text: string) => void): Promise<z.output<typeof RunDonePayload>> {
  for await (const ev of turn.events) {
    if (ev.event === "run.delta") onDelta?.((ev.payload as { text: string }).text);
    else if (ev.event === "run.done") return ev.payload as z.output<typeof RunDonePayload>;
    else if (ev.event === "run.error") {
      const { error } = ev.payload as z.output<typeof RunErrorPayload>;
      throw new AgentdError(error.code, error.message, { ...(error.details ? { details: error.details } : {}), ...(error.retryable !== undefined ? { retryable: error.retryable } : {}) });
    }
  }
  throw new AgentdError("internal", "the run ended without a result");
}

/**
 * The session a caller names by a key (the OpenAI `user` field or `X-Session-Id`, the MCP `chat` tool's
 * `session`): a binding `(namespace, key, token name)` in `channel_bindings`, so two tokens using the same key
 * never share a session. Created (and owned by the token) on first use; a deleted session is replaced.
 */
export function keyedSession(store: Store, principal: Principal, namespace: "openai" | "mcp", key: string): string {
  const bound = store.getBinding(namespace, key, principal.name);
  if (bound && store.sessionHead(bound.sessionId)) return bound.sessionId;
  const session = store.createSession();
  store.setBinding(namespace, key, principal.name, session.id);
  if (principal.kind === "token") store.tokens.setSessionOwner(session.id, principal.name);
  return session.id;
}

/**
 * A fresh session holding a conversation the caller sent whole (stateless use of `/v1/chat/completions`):
 * earlier user and assistant messages become its history, in order, before the last user message is sent.
 */
export function freshSession(store: Store, principal: Principal, history: Array<{ role: "user" | "assistant"; content: string }>): string {
  const session = store.createSessionWithHistory(history);
  if (principal.kind === "token") store.tokens.setSessionOwner(session.id, principal.name);
  return session.id;
}
