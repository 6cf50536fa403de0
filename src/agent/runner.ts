import type { z } from "zod";
import { TERMINAL_PLATFORM, type ChatSendParams, type ChatSendResult, type ChannelAddress } from "../../protocol/chat.js";
import type { DeliveryAddress } from "../../protocol/deliveries.js";
import { userErrorLine } from "../../protocol/user-error.js";
import { AgentdError, NotFoundError, toWireError } from "../errors.js";
import type { RunRow } from "../store/store.js";
import { guardStorage } from "../store/db.js";
import { checkAttachments, messageText } from "../media/files.js";
import { RunHandle, type RunSubscriber } from "./run-handle.js";
import { executeRun, type RunDeps } from "./run-loop.js";
import type { RunScheduler } from "./run-scheduler.js";

/** Validated `chat.send` params. */
export type SendParams = z.output<typeof ChatSendParams>;

/**
 * The daemon's own answer to a message: `{ reply }` (a chat command's answer, a refusal) or `{ ignored: true }`
 * (nothing is sent: a group message without mention). `excludeFromContext` keeps the user message and the reply
 * out of the model's context for good (they stay in the history, marked with {@link EXCLUDED_FROM_CONTEXT}).
 */
export type CommandAnswer = ({ reply: string } | { ignored: true }) & { excludeFromContext?: boolean };

/**
 * Decides, when a message is accepted (stored, before it queues), whether the daemon answers it itself (issue 6:
 * chat commands `/new`, `/sessions`, `/stop`…, a refusal for a denied sender), drops it, or lets the model answer
 * (undefined). It runs at accept time, not in the session's queue, so `/stop` reaches a running reply and `/new`
 * rebinds the chat before the next message is accepted. Must be synchronous and quick.
 */
export type CommandHandler = (
  text: string,
  ctx: { sessionId: string; runId: string; channel: ChannelAddress | undefined; runner: Runner },
) => CommandAnswer | undefined;

/** `compactedBy` value of messages kept out of the model's context by a {@link CommandAnswer} (not a summary id). */
export const EXCLUDED_FROM_CONTEXT = "excluded";

/**
 * Options of {@link Runner.send} (issue 11). `deliverTo`: where the run's final text (or one short error line) is
 * delivered through the outbox, written in the same transaction as the run's end; default: a channel message's own
 * chat (a reply to its message), nothing otherwise. `silentReply`: a final text that, trimmed, equals it is not
 * delivered (e.g. `NOTHING_TO_REPORT` for heartbeats).
 */
export interface SendOptions {
  deliverTo?: DeliveryAddress[] | undefined;
  silentReply?: string | undefined;
  /** This run's tool step limit (a scheduled job's), instead of `agent.maxSteps`; not kept across a restart. */
  maxSteps?: number | undefined;
}

/**
 * How many times the daemon runs an interrupted run again at start (issue 11) before it gives up on it with an
 * error line to its chat: a run that takes the daemon down every time must not crash it forever.
 */
export const MAX_RUN_RESUMES = 3;

/** The delivery address of a reply to a channel message: its chat and thread, answering its message id. */
export function replyAddressOf(channel: ChannelAddress): DeliveryAddress {
  return {
    platform: channel.platform, chatId: channel.chatId,
    ...(channel.threadId ? { threadId: channel.threadId } : {}),
    ...(channel.messageId ? { replyTo: channel.messageId } : {}),
  };
}


/** Resolves the session of a message: explicit id, the chat's bound session, or a new one. */
export type SessionResolver = (params: SendParams) => { sessionId: string; preferredModel?: string | undefined };

/**
 * Accepts chat messages and runs them: one run per session at a time (later messages queue in order),
 * different sessions in parallel, as many at once as the {@link RunScheduler} admits (when one is given). The
 * same idempotency key never runs twice: a resend re-attaches to the first run (its events are replayed) or,
 * once finished, gets its final event rebuilt from the database; a run
 * interrupted by a crash runs again on its first resend. Messages the `command` hook answers (chat commands,
 * refusals, ignored group messages) are answered when accepted and never queue.
 */
export class Runner {
  private readonly handles = new Map<string, RunHandle>();
  private readonly queues = new Map<string, RunHandle[]>();
  private accepting = true;

  constructor(
    private readonly deps: RunDeps & { resolveSession: SessionResolver; command?: () => CommandHandler | undefined; scheduler?: RunScheduler },
  ) {}

  /** The admission control's figures: runs executing, runs waiting for a slot, the current limit (undefined without a scheduler). */
  get admission(): { running: number; waiting: number; limit: number } | undefined {
    const s = this.deps.scheduler;
    return s && { running: s.runningCount, waiting: s.waitingCount, limit: s.limit };
  }

  /** False once {@link Runner.drain} began (the daemon is stopping): a run aborted then was not stopped by a user. */
  get isAccepting(): boolean {
    return this.accepting;
  }

  /** Number of runs running or queued. */
  get activeCount(): number {
    return this.handles.size;
  }

  /**
   * Accepts a message: stores it (before answering) and queues its run; `subscriber` receives the run's events.
   * Throws {@link NotFoundError} for an unknown session or `model`, `unavailable` while shutting down, `StorageError` when the
   * database refuses the write, `rate_limited` (nothing stored) when `agent.maxQueuedPerSession` runs already wait
   * in the session (a text starting with `/` passes: chat commands are answered at once and never queue). A channel
   * message is stored first and checked after the command hook: ignored, refused and command messages pass, one
   * for the model ends at once with a `run.error` `rate_limited`. Attachments are checked first by
   * `checkAttachments` (`bad_request` for a path that is not a stored upload, `payload_too_large` over the
   * `uploads` limits; nothing stored); a voice note's transcription becomes the stored text (`messageText`).
   */
  send(params: SendParams, subscriber?: RunSubscriber, opts: SendOptions = {}): z.output<typeof ChatSendResult> {
    const existing = this.deps.store.findRunByKey(params.idempotencyKey);
    if (existing) return this.reattach(existing, subscriber);
    if (!this.accepting) throw new AgentdError("unavailable", "the agent is shutting down", { retryable: true });
    if (params.model !== undefined && !this.deps.config().models[params.model]) {
      throw new NotFoundError(`no model named "${params.model}" under models`, { path: "model", model: params.model });
    }
    // a new session's row commits with the accepted message (one WAL commit, not two); a refusal below (queue
    // full, bad attachments) rolls it back, so nothing is stored
    const { run, sessionId, preferredModel, content, deliverTo } = guardStorage("store the message", () => this.deps.store.transaction(() => this.accept(params, opts)));
    const handle = new RunHandle(run.id, sessionId, content, params.channel, deliverTo, opts.silentReply);
    handle.maxSteps = opts.maxSteps;
    handle.voiceIn = (params.attachments ?? []).some((a) => a.mime.startsWith("audio/"));
    if (subscriber) handle.subscribe(subscriber);
    this.dispatch(handle, run.userMessageId, preferredModel);
    return { runId: run.id, sessionId, duplicate: false };
  }

  /** {@link send}'s checks and writes, run inside one store transaction: the session (new or found), the message and its queued run. */
  private accept(params: SendParams, opts: SendOptions): { run: RunRow; sessionId: string; preferredModel: string | undefined; content: string; deliverTo: DeliveryAddress[] } {
    const resolved = this.deps.resolveSession(params);
    const { sessionId } = resolved;
    const preferredModel = params.model ?? resolved.preferredModel;
    // a channel message is checked once the command hook has had its say (enqueue): a group message the agent
    // ignores, a refusal or a command must not get "too many messages" however busy the session is
    const full = params.channel || params.text.startsWith("/") ? undefined : this.queueFull(sessionId);
    if (full) throw full;
    // files are checked (stored uploads, within uploads.* limits) before anything is stored: a refusal stores nothing
    const attachments = params.attachments?.length ? checkAttachments(this.deps.dir, params.attachments, this.deps.config().uploads) : undefined;
    const content = attachments ? messageText(params.text, attachments) : params.text;
    // a chat's reply goes to its chat through the outbox; the terminal (`agentd chat`) reads its run's events instead
    const deliverTo = opts.deliverTo ?? (params.channel && params.channel.platform !== TERMINAL_PLATFORM ? [replyAddressOf(params.channel)] : []);
    const { run } = this.deps.store.acceptMessage({
      sessionId, content, idempotencyKey: params.idempotencyKey, attachments,
      ...(params.channel ? { channel: params.channel } : {}),
      deliverTo, silentReply: opts.silentReply ?? null,
    });
    return { run, sessionId, preferredModel, content, deliverTo };
  }

  /** Aborts a run by id, or the running run of a session. Returns whether something was aborted. */
  abort(target: { runId?: string | undefined; sessionId?: string | undefined }): boolean {
    let handle = target.runId ? this.handles.get(target.runId) : undefined;
    if (!handle && target.sessionId) handle = this.queues.get(target.sessionId)?.[0];
    if (!handle || handle.finished) return false;
    handle.controller.abort();
    return true;
  }

  /** The running run of a session, if any. */
  runningRun(sessionId: string): RunHandle | undefined {
    return this.queues.get(sessionId)?.[0];
  }

  /** Subscribes to a run's events (buffered ones replayed first). Throws {@link NotFoundError} when it is not active. */
  subscribe(runId: string, subscriber: RunSubscriber): () => void {
    const h = this.handles.get(runId);
    if (!h) throw new NotFoundError(`run ${runId} is not active`);
    return h.subscribe(subscriber);
  }

  /**
   * Stops accepting messages and waits up to `graceMs` for runs to finish; the rest are aborted (their partial
   * text is stored with status `aborted`).
   */
  async drain(graceMs: number): Promise<void> {
    this.accepting = false;
    const all = () => Promise.all([...this.handles.values()].map((h) => h.ended));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all(), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    // the run-end listeners run a setImmediate after a run's final event (run-loop.ts): let them, before the
    // daemon stops the features they use
    await new Promise((r) => setImmediate(r));
    if (this.handles.size === 0) return;
    for (const h of this.handles.values()) {
      h.stoppedByShutdown = true;
      h.controller.abort();
    }
    await Promise.race([all(), new Promise((r) => setTimeout(r, 1000))]);
    await new Promise((r) => setImmediate(r));
  }

  private reattach(run: RunRow, subscriber?: RunSubscriber): z.output<typeof ChatSendResult> {
    const result = { runId: run.id, sessionId: run.sessionId, duplicate: true };
    const live = this.handles.get(run.id);
    if (live) {
      if (subscriber) live.subscribe(subscriber);
      return result;
    }
    if (run.status === "interrupted") {
      if (!this.accepting) throw new AgentdError("unavailable", "the agent is shutting down", { retryable: true });
      this.deps.store.updateRun(run.id, { status: "queued", errorCode: null, error: null, finishedAt: null });
      this.restart(run, subscriber);
      return result;
    }
    if (subscriber) this.replayFinished(run, subscriber);
    return result;
  }

  /**
   * Runs again, at daemon start, the runs a crash interrupted that have delivery targets (channel messages,
   * scheduled and webhook runs; issue 11): their user messages are on disk, their replies go through the outbox.
   * A bridge resending the message later re-attaches to the run instead of starting another.
   */
  resume(runs: RunRow[]): void {
    for (const run of runs) if (!this.handles.has(run.id)) this.restart(run);
  }

  /** Dispatches a stored run again (its user message and delivery targets read back). */
  private restart(run: RunRow, subscriber?: RunSubscriber): void {
    const msg = this.deps.store.getMessage(run.userMessageId);
    const channel = msg?.channel ?? undefined;
    const handle = new RunHandle(run.id, run.sessionId, msg?.content ?? "", channel, run.deliverTo ?? [], run.silentReply ?? undefined);
    handle.restarted = true;
    if (subscriber) handle.subscribe(subscriber);
    this.dispatch(handle, run.userMessageId, undefined);
  }

  /** Rebuilds the final event of a finished run from the database. */
  private replayFinished(run: RunRow, subscriber: RunSubscriber): void {
    const msg = run.assistantMessageId ? this.deps.store.getMessage(run.assistantMessageId) : undefined;
    const ref = { runId: run.id, sessionId: run.sessionId };
    const text = this.deps.store.runText(run.id);
    const noUsage = { promptTokens: 0, completionTokens: 0, cachedTokens: 0, costUsd: null };
    if (run.status === "ignored") {
      subscriber("run.done", { ...ref, messageId: "", status: "ignored", text: "", model: run.model ?? "agentd", usage: noUsage }, 1);
      return;
    }
    if (run.status === "error" || !msg) {
      const error = { code: (run.errorCode ?? "internal") as "internal", message: run.error ?? "the run failed" };
      subscriber("run.error", { ...ref, ...(msg ? { messageId: msg.id } : {}), error, text }, 1);
      return;
    }
    const status = run.status === "aborted" || run.status === "max_steps" || run.status === "max_length" ? run.status : "ok";
    subscriber("run.done", { ...ref, messageId: msg.id, status, text, model: run.model ?? "", usage: this.deps.store.runUsage(run.id) }, 1);
  }

  /** Answers the message at once when the command hook claims it, else queues its run. */
  private dispatch(handle: RunHandle, userMessageId: string, preferredModel: string | undefined): void {
    let answer: CommandAnswer | undefined;
    try {
      answer = this.deps.command?.()?.(handle.text, { sessionId: handle.sessionId, runId: handle.id, channel: handle.channel, runner: this });
    } catch (err) {
      this.deps.logger.error({ err, runId: handle.id }, "chat command failed");
      answer = { reply: "Sorry — that command failed.", excludeFromContext: true };
    }
    if (answer === undefined) this.enqueue(handle, preferredModel);
    else this.answerCommand(handle, userMessageId, answer);
  }

  /** The `rate_limited` error when `agent.maxQueuedPerSession` runs already wait in the session, else undefined. */
  private queueFull(sessionId: string): AgentdError | undefined {
    const waiting = (this.queues.get(sessionId)?.length ?? 1) - 1;
    const maxQueued = this.deps.config().agent.maxQueuedPerSession;
    if (waiting < maxQueued) return undefined;
    return new AgentdError("rate_limited", `${waiting} messages already wait in this session (agent.maxQueuedPerSession is ${maxQueued}); retry when the agent has answered`, { retryable: true, details: { sessionId, maxQueuedPerSession: maxQueued } });
  }

  private enqueue(handle: RunHandle, preferredModel: string | undefined): void {
    const full = handle.channel ? this.queueFull(handle.sessionId) : undefined;
    if (full) {
      // a channel message for the model while the session's queue is full: stored (it was accepted before the
      // hook could decide), ended at once with the error, which the bridge shows as one short line
      this.deps.store.transaction(() => {
        this.deps.store.updateRun(handle.id, { status: "error", errorCode: full.code, error: full.message, finishedAt: Date.now() });
        this.deps.deliver?.(handle, userErrorLine(full));
      });
      handle.emit("run.error", { runId: handle.id, sessionId: handle.sessionId, error: toWireError(full), text: "" });
      return;
    }
    handle.preferredModel = preferredModel;
    this.handles.set(handle.id, handle);
    const queue = this.queues.get(handle.sessionId);
    if (queue) {
      queue.push(handle);
      handle.emit("run.status", { runId: handle.id, sessionId: handle.sessionId, status: "queued" });
      return;
    }
    this.queues.set(handle.sessionId, [handle]);
    void this.drainSession(handle.sessionId);
  }

  private async drainSession(sessionId: string): Promise<void> {
    const queue = this.queues.get(sessionId)!;
    while (queue.length > 0) {
      const handle = queue[0]!;
      // a slot among all sessions' runs (admission control); a run that has to wait says so
      const release = await this.deps.scheduler?.acquire(handle.controller.signal, () =>
        handle.emit("run.status", { runId: handle.id, sessionId: handle.sessionId, status: "queued" }),
      );
      try {
        await executeRun(handle, this.deps, { preferredModel: handle.preferredModel });
      } finally {
        release?.();
      }
      this.handles.delete(handle.id);
      queue.shift();
    }
    this.queues.delete(sessionId);
  }

  private answerCommand(handle: RunHandle, userMessageId: string, answer: CommandAnswer): void {
    const { store } = this.deps;
    const reply = "reply" in answer ? answer.reply : "";
    const status = "reply" in answer ? "ok" : "ignored";
    // the reply, the run's end and its delivery in one transaction (issue 11)
    const messageId = store.transaction(() => {
      let id = "";
      if (reply) id = store.insertMessage({ sessionId: handle.sessionId, runId: handle.id, role: "assistant", content: reply, status: "ok", model: "agentd" }).id;
      store.updateRun(handle.id, { status, model: "agentd", ...(id ? { assistantMessageId: id } : {}), startedAt: Date.now(), finishedAt: Date.now() });
      if (answer.excludeFromContext) store.markCompacted(id ? [userMessageId, id] : [userMessageId], EXCLUDED_FROM_CONTEXT);
      if (reply) this.deps.deliver?.(handle, reply);
      return id;
    });
    if (reply) handle.emit("run.delta", { runId: handle.id, sessionId: handle.sessionId, text: reply });
    handle.emit("run.done", {
      runId: handle.id, sessionId: handle.sessionId, messageId, status, text: reply, model: "agentd",
      usage: { promptTokens: 0, completionTokens: 0, cachedTokens: 0, costUsd: null },
    });
  }
}
