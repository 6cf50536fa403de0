import type { Usage } from "../../protocol/chat.js";
import type { DeliveryAttachment } from "../../protocol/deliveries.js";
import { userErrorLine } from "../../protocol/user-error.js";
import { toWireError, type AgentdError } from "../errors.js";
import type { UsageInsert } from "../store/store.js";
import type { ResolvedModel } from "./provider.js";
import type { RunHandle } from "./run-handle.js";
import type { RunDeps } from "./run-deps.js";

/** How a run can end: see `run.done` (protocol/events.ts) for all but `error` (`run.error`). */
export type RunEndStatus = "ok" | "aborted" | "max_steps" | "max_length" | "error";

/**
 * Stores a run's end and tells its subscribers: the answer, the last call's usage and the run's end in one
 * transaction (one commit; never one without the other), then `run.done` (or `run.error` with the wire error,
 * scrubbed of secrets by `deps.redact`). A run the daemon's stop cut off with delivery targets is left `queued`
 * instead (the next start runs it again and delivers its reply). `r.total`, when set, is the run's whole usage
 * (else it is read back from the database). Never throws: a failed write becomes a `run.error`. The run-end
 * listeners run after the final event has left ({@link afterReply}).
 */
export function finish(
  handle: RunHandle, deps: RunDeps,
  r: {
    text: string; shown: string; status: RunEndStatus; model: ResolvedModel | undefined; failure: AgentdError | undefined; started: number;
    voice?: DeliveryAttachment | undefined; usage: UsageInsert | undefined;
    /** The run's whole usage when known without reading it back (see executeRun's `oneStep`). */
    total?: Usage;
  },
): void {
  const { store } = deps;
  const modelName = r.model?.name ?? deps.config().model;
  const wire = r.failure ? toWireError(r.failure) : undefined;
  // a provider may echo the key it was given ("Incorrect API key provided: sk-…"): scrub before storing or sending
  if (wire && deps.redact) wire.message = deps.redact(wire.message);
  const durationMs = Date.now() - r.started;
  // read once, after the last call's usage is written: for run.done and for the run-end listeners (metrics),
  // failed runs included
  let usage: Usage | undefined;
  const readUsage = (): Usage => {
    if (r.total) return r.total;
    try {
      return store.runUsage(handle.id);
    } catch (err) {
      deps.logger.warn({ err, runId: handle.id }, "could not read the run's usage");
      return { promptTokens: 0, completionTokens: 0, cachedTokens: 0, costUsd: null };
    }
  };
  try {
    // the answer, the last call's usage and the run's end in one transaction: one commit, and never one without the other
    if (handle.stoppedByShutdown && handle.deliverTo.length > 0) {
      // the daemon is stopping: the run stays queued (its partial text is not kept), the next start runs it again
      // and delivers its reply
      store.transaction(() => {
        if (r.usage) store.recordUsage(r.usage);
        store.updateRun(handle.id, { status: "queued", model: modelName, startedAt: r.started });
      });
      handle.emit("run.error", { runId: handle.id, sessionId: handle.sessionId, error: { code: "unavailable", message: "the agent is restarting; the reply follows after the restart", retryable: true }, text: r.shown });
      afterReply(deps, { handle, status: "interrupted", model: modelName, durationMs, usage: readUsage() });
      return;
    }
    const msg = store.transaction(() => {
      if (r.usage) store.recordUsage(r.usage);
      const m = store.insertMessage({
        sessionId: handle.sessionId, runId: handle.id, role: "assistant", content: r.text,
        status: r.status === "error" ? "error" : r.status === "aborted" ? "aborted" : "ok",
        model: modelName, ...(wire ? { error: `${wire.code}: ${wire.message}` } : {}),
      });
      store.updateRun(handle.id, {
        status: r.status, model: modelName, assistantMessageId: m.id, startedAt: r.started, finishedAt: Date.now(),
        ...(wire ? { errorCode: wire.code, error: wire.message } : {}),
      });
      deps.deliver?.(handle, wire ? userErrorLine(wire) : r.shown, wire ? undefined : r.voice);
      return m;
    });
    usage = readUsage();
    if (wire) handle.emit("run.error", { runId: handle.id, sessionId: handle.sessionId, messageId: msg.id, error: wire, text: r.shown });
    else {
      const files = deps.replyFiles?.(handle.id) ?? [];
      handle.emit("run.done", {
        runId: handle.id, sessionId: handle.sessionId, messageId: msg.id, status: r.status as Exclude<RunEndStatus, "error">, text: r.shown, model: modelName, usage,
        ...(files.length ? { attachments: files } : {}),
      });
    }
  } catch (err) {
    deps.logger.error({ err, runId: handle.id }, "could not store the end of a run");
    handle.emit("run.error", { runId: handle.id, sessionId: handle.sessionId, error: toWireError(err), text: r.shown });
  }
  afterReply(deps, { handle, status: r.status, model: modelName, durationMs, usage: usage ?? readUsage(), ...(wire ? { error: wire } : {}) });
}

/**
 * Calls the run-end listeners (`deps.onEnd`: metrics, session titles, approvals' clean-up) once the run's final
 * event has left: the transports send it from `process.nextTick` (WebSocket) or promise jobs (REST), which Node
 * runs before `setImmediate` callbacks, so the ~0.5 ms the listeners take is not added to the reply (issue 20).
 * The runner's `drain` waits for them. A listener that throws is logged.
 */
function afterReply(deps: RunDeps, info: Parameters<NonNullable<RunDeps["onEnd"]>>[0]): void {
  const onEnd = deps.onEnd;
  if (!onEnd) return;
  setImmediate(() => {
    try {
      onEnd(info);
    } catch (err) {
      deps.logger.error({ err, runId: info.handle.id }, "a run-end listener failed");
    }
  });
}
