import { z } from "zod";
import { WireError } from "./errors.js";
import { Usage } from "./chat.js";
import { defineEvent } from "./method-spec.js";
import { DeliveryAttachment, deliveryEvents } from "./deliveries.js";
import { approvalEvents } from "./approvals.js";

const runRef = { runId: z.string(), sessionId: z.string() };

/**
 * `run.status`: the run was queued (behind another run of its session, or waiting for a slot of the daemon's
 * admission control, `agent.maxConcurrentRuns`), started, moved to a new step, or waits for the answer to an
 * approval request (`awaiting_approval`, issue 13; `running` again once answered).
 */
export const RunStatusPayload = z.strictObject({
  ...runRef,
  status: z.enum(["queued", "running", "awaiting_approval"]),
  model: z.string().optional(),
  /** With `awaiting_approval`: the request the run waits for (see `approval.requested`). */
  approvalId: z.string().optional(),
  step: z.number().int().min(0).optional(),
});
/** `run.delta`: a piece of the reply text, in order. Joined deltas equal `run.done.text`. */
export const RunDeltaPayload = z.strictObject({ ...runRef, text: z.string() });
/** `run.tool`: a tool call the model made (`phase: "call"`) and later its result (`phase: "result"`). */
export const RunToolPayload = z.strictObject({
  ...runRef,
  phase: z.enum(["call", "result"]),
  toolCallId: z.string(),
  name: z.string(),
  arguments: z.string().optional(),
  result: z.string().optional(),
  isError: z.boolean().optional(),
});
/**
 * `run.done`: the run ended and the assistant message is stored. `status`: `ok`, `aborted` (partial text),
 * `max_steps` (the tool step limit was hit), `max_length` (the model's output reached the agent's
 * `agent.maxReplyChars`: the model was stopped, `text` is the reply so far plus a short note saying so) or
 * `ignored` (a channel message the agent does not answer: a group
 * message without mention, a denied sender after the one refusal; `text` is empty and nothing should be sent).
 * `model` is the model that answered (maybe a fallback), or `agentd` for chat commands.
 */
export const RunDonePayload = z.strictObject({
  ...runRef,
  messageId: z.string(),
  status: z.enum(["ok", "aborted", "max_steps", "max_length", "ignored"]),
  text: z.string(),
  model: z.string(),
  usage: Usage,
  /** Files the agent sent with this reply (`send_file`, issue 12); fetch a chat's copy via its delivery. Absent when none. */
  attachments: z.array(DeliveryAttachment).optional(),
});
/** `run.error`: the run failed; the partial text and the reason are stored with the assistant message. */
export const RunErrorPayload = z.strictObject({
  ...runRef,
  messageId: z.string().optional(),
  error: WireError,
  text: z.string(),
});

/** Every event of protocol version 1, by name. */
export const events = {
  "run.status": defineEvent({ payload: RunStatusPayload, description: "A run was queued, started or began a new step." }),
  "run.delta": defineEvent({ payload: RunDeltaPayload, description: "A piece of the reply text." }),
  "run.tool": defineEvent({ payload: RunToolPayload, description: "A tool call or its result." }),
  "run.done": defineEvent({ payload: RunDonePayload, description: "The run finished; final text and usage." }),
  "run.error": defineEvent({ payload: RunErrorPayload, description: "The run failed with a typed error." }),
  ...deliveryEvents,
  ...approvalEvents,
};
/** Name of an event. */
export type EventName = keyof typeof events;
/** Payload type of event `E`. */
export type EventPayload<E extends EventName> = z.infer<(typeof events)[E]["payload"]>;
/** Name of a run event (`run.*`). */
export type RunEventName = Extract<EventName, `run.${string}`>;
/** A run event as the client's iterator yields it: `{ event, payload, seq }`. */
export type RunEvent = { [E in RunEventName]: { event: E; payload: EventPayload<E>; seq: number } }[RunEventName];
