import type { ChatCompletionMessageParam, ChatCompletionTool } from "openai/resources/chat/completions";
import type { MessageRow, UsageInsert } from "../store/store.js";
import type { ToolCall, Usage } from "../../protocol/chat.js";
import { AgentdError } from "../errors.js";
import { loopBudget } from "../loop-budget.js";
import type { Tool } from "./tools/tool.js";
import type { ResolvedModel } from "./provider.js";
import type { RunHandle } from "./run-handle.js";
import { streamModelCall } from "./model-call.js";
import { runToolCalls } from "./tool-exec.js";
import { prepareMedia } from "../media/render.js";
import { acceptsImages, mediaBudgetTokens } from "../media/vision.js";
import { finish, type RunEndStatus } from "./run-end.js";
import type { RunDeps } from "./run-deps.js";
import { buildSystemPrompt, contextBudgetTokens, conversationRows, messageTokens, shortenOldToolResults, toChatMessages, trimToBudget } from "./context.js";

export type { RunDeps } from "./run-deps.js";

/** Each tool's spec for the model and its JSON length, kept while the tool object lives (tools change only on reload). */
const specCache = new WeakMap<Tool, { spec: ChatCompletionTool; chars: number }>();

/** The tools as the model's `tools` parameter, and the characters of their JSON (for the token estimate). */
function toolSpecs(tools: Tool[]): { specs: ChatCompletionTool[]; chars: number } {
  let chars = 2;
  const specs = tools.map((t) => {
    let hit = specCache.get(t);
    if (!hit) {
      const spec: ChatCompletionTool = { type: "function", function: { name: t.name, description: t.description, parameters: t.inputSchema } };
      hit = { spec, chars: JSON.stringify(spec).length + 1 };
      specCache.set(t, hit);
    }
    chars += hit.chars;
    return hit.spec;
  });
  return { specs, chars };
}

/**
 * Executes one run to its end: builds the context, streams the model (with fallbacks), runs tool calls and
 * loops up to `agent.maxSteps`, then persists the assistant message whatever happened (complete, aborted with
 * the partial text, or errored with the reason), records usage, and emits `run.done` or `run.error`.
 * Never throws: every failure becomes a stored status and an event.
 */
export async function executeRun(handle: RunHandle, deps: RunDeps, opts: { preferredModel?: string | undefined } = {}): Promise<void> {
  // a run's start (its context, the model request) and its end (one commit, run.done) are the CPU-heavy steps of
  // a turn: past this iteration's budget they wait for a later iteration, in the order they asked (issue 20)
  const budget = deps.budget ?? loopBudget;
  await budget.pass();
  const { store, logger } = deps;
  const cfg = deps.config();
  const started = Date.now();
  const signal = handle.controller.signal;
  let text = "";
  let model: ResolvedModel | undefined;
  let status: RunEndStatus = "ok";
  // characters of model output so far (text and tool-call arguments of every step), capped at agent.maxReplyChars
  let produced = 0;
  // what the client saw: every step's text, steps separated by a blank line (itself sent as a delta), so
  // joined deltas always equal the final event's text
  let shown = "";
  const show = (t: string) => {
    shown += t;
    handle.emit("run.delta", { runId: handle.id, sessionId: handle.sessionId, text: t });
  };
  let failure: AgentdError | undefined;
  // the usage of the last model call, written with the run's next write (its tool calls or its end) in the same
  // transaction instead of a commit of its own between the model's last chunk and run.done (issue 20)
  let unrecorded: UsageInsert | undefined;
  // the run's usage for run.done without reading it back (one SUM query less per turn, issue 20): exact while this
  // execution is the run's first and made no tool step (a tool may record usage of its own, e.g. describe_image);
  // otherwise finish() reads the sum from the database
  let oneStep = !handle.restarted;
  const spent: Usage = { promptTokens: 0, completionTokens: 0, cachedTokens: 0, costUsd: null };
  const takeUsage = () => {
    const u = unrecorded;
    unrecorded = undefined;
    return u;
  };
  try {
    // the row says `running` (and when it started) with the run's first write, a tool step's or its end's: no commit
    // of its own before the model call, while the accepted message's fsync is still running (issue 20)
    handle.emit("run.status", { runId: handle.id, sessionId: handle.sessionId, status: "running" });
    const tools = deps.tools();
    const toolMap = new Map(tools.map((t) => [t.name, t]));
    const { specs, chars: specChars } = toolSpecs(tools);
    const candidates = deps.pool.candidates(opts.preferredModel);
    const first = await deps.pool.resolve(candidates[0] ?? cfg.model);
    const system = await buildSystemPrompt(deps.dir, { timeZone: cfg.agent.timezone, channel: handle.channel, redact: deps.redact, memoryMaxChars: cfg.agent.memoryMaxChars });
    let stored = store.contextMessages(handle.sessionId);
    if (deps.compact && (await deps.compact(handle.sessionId, first, signal, { rows: stored, system }))) stored = store.contextMessages(handle.sessionId);
    const fixed = messageTokens({ role: "system", content: system }) + Math.ceil(specChars / 4);
    const budget = Math.max(256, contextBudgetTokens(first.config) - fixed);
    let rows = conversationRows(stored, handle.id);
    // a run re-run after a stop that cut it off during its tool calls (waiting for an approval, say) resumes from
    // that step: its stored tool calls without results run again (an approval request waits on the same row)
    const unanswered = unansweredToolCalls(rows, handle.id);
    if (unanswered) rows = rows.slice(0, -1);
    // the files of the recent turns (images as parts for a vision model, documents inlined), within the model's media budget
    const media = await prepareMedia(rows, {
      dir: deps.dir, vision: acceptsImages(first.config), describer: !!cfg.uploads.visionModel,
      recentTurns: cfg.uploads.recentTurns, inlineMaxChars: cfg.uploads.inlineMaxChars, budgetTokens: mediaBudgetTokens(first.config),
    });
    const history: ChatCompletionMessageParam[] = trimToBudget(shortenOldToolResults(toChatMessages(rows, media), cfg.agent.recentTurns), budget);
    if (unanswered) {
      oneStep = false;
      model = first;
      await handleToolStep(handle, deps, unanswered.content, unanswered.toolCalls ?? [], toolMap, first, history, { stored: true, usage: undefined, started });
    }
    for (let step = 0; ; step++) {
      const maxSteps = handle.maxSteps ?? cfg.agent.maxSteps;
      if (step >= maxSteps) {
        status = "max_steps";
        text = `(Stopped after ${maxSteps} tool steps without a final answer. Say "continue" to let me go on.)`;
        show(shown ? `\n\n${text}` : text);
        break;
      }
      if (step > 0) handle.emit("run.status", { runId: handle.id, sessionId: handle.sessionId, status: "running", step, ...(model ? { model: model.name } : {}) });
      text = "";
      const result = await streamModelCall({
        pool: deps.pool,
        candidates,
        messages: [{ role: "system", content: system }, ...history],
        tools: specs,
        signal,
        maxChars: cfg.agent.maxReplyChars - produced,
        idleTimeoutMs: model?.provider.timeoutMs ?? first.provider.timeoutMs,
        onDelta: (t) => {
          if (!text && shown) show("\n\n");
          text += t;
          show(t);
        },
        onModel: (m) => {
          if (model?.name !== m.name) handle.emit("run.status", { runId: handle.id, sessionId: handle.sessionId, status: "running", model: m.name, step });
          model = m;
        },
        onFallback: (name, err) => logger.warn({ runId: handle.id, model: name, code: err.code }, `model ${name} failed, trying the next: ${err.message}`),
      });
      model = result.model;
      if (result.usage) {
        unrecorded = {
          sessionId: handle.sessionId, runId: handle.id, model: model.name, provider: model.providerName, purpose: "chat",
          ...result.usage, costUsd: deps.price(model, result.usage),
        };
        spent.promptTokens += unrecorded.promptTokens;
        spent.completionTokens += unrecorded.completionTokens;
        spent.cachedTokens += unrecorded.cachedTokens ?? 0;
        if (unrecorded.costUsd != null) spent.costUsd = (spent.costUsd ?? 0) + unrecorded.costUsd;
      }
      if (result.truncated) {
        status = "max_length";
        const note = `(Stopped: the reply reached the limit of ${cfg.agent.maxReplyChars.toLocaleString("en-US")} characters, agent.maxReplyChars. Say "continue" to let me go on.)`;
        const sep = shown ? "\n\n" : "";
        text = result.text ? `${result.text}${sep}${note}` : note;
        show(`${sep}${note}`);
        logger.warn({ runId: handle.id, model: model.name, maxReplyChars: cfg.agent.maxReplyChars }, "a reply reached agent.maxReplyChars; the run ends with the text so far");
        break;
      }
      produced += result.text.length + result.toolCalls.reduce((n, c) => n + c.name.length + c.arguments.length, 0);
      if (result.toolCalls.length === 0) {
        text = result.text;
        break;
      }
      text = ""; // stored with the tool calls: not again as the final message if the run stops during the tools
      oneStep = false;
      await handleToolStep(handle, deps, result.text, result.toolCalls, toolMap, model, history, { usage: takeUsage(), started });
    }
  } catch (err) {
    if (signal.aborted) status = "aborted";
    else {
      status = "error";
      failure = err instanceof AgentdError ? err : new AgentdError("internal", "internal error", { cause: err });
      if (!(err instanceof AgentdError)) logger.error({ err, runId: handle.id }, "run failed");
      else logger.warn({ runId: handle.id, code: err.code }, `run failed: ${err.message}`);
    }
  }
  const speak = status === "ok" && !failure && deps.speak && shown.trim() ? deps.speak : undefined;
  if (speak && handle.deliverTo.length > 0) {
    // a reply may be spoken only for a delivery target (a chat), and text-to-speech can take seconds: the usage is
    // not kept waiting in memory for it
    try {
      const u = takeUsage();
      if (u) store.recordUsage(u);
    } catch (err) {
      logger.warn({ err, runId: handle.id }, "could not record the usage of a run");
    }
  }
  const voice = speak ? await speak(handle, shown) : undefined;
  await budget.pass();
  finish(handle, deps, { text, shown, status, model, failure, started, voice, usage: takeUsage(), ...(oneStep ? { total: spent } : {}) });
}

/**
 * The last row of run `runId` when it is an assistant message with tool calls and no stored results: the step a
 * stop cut off (see {@link handleToolStep}), to run again when the run is re-run. Undefined otherwise.
 */
export function unansweredToolCalls(rows: MessageRow[], runId: string): MessageRow | undefined {
  const last = rows.at(-1);
  return last && last.runId === runId && last.role === "assistant" && last.toolCalls?.length ? last : undefined;
}

async function handleToolStep(
  handle: RunHandle, deps: RunDeps, text: string, calls: ToolCall[], toolMap: Map<string, Tool>, model: ResolvedModel,
  history: ChatCompletionMessageParam[], opts: { stored?: boolean; usage: UsageInsert | undefined; started: number },
): Promise<void> {
  const cfg = deps.config();
  const ref = { runId: handle.id, sessionId: handle.sessionId };
  const { store } = deps;
  if (!opts.stored) {
    // the model call's usage and the tool calls it asked for: one commit
    store.transaction(() => {
      if (opts.usage) store.recordUsage(opts.usage);
      store.updateRun(handle.id, { status: "running", startedAt: opts.started });
      store.insertMessage({ sessionId: handle.sessionId, runId: handle.id, role: "assistant", content: text, status: "ok", toolCalls: calls, model: model.name });
    });
  }
  history.push({ role: "assistant", content: text || null, tool_calls: calls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.arguments } })) });
  for (const c of calls) handle.emit("run.tool", { ...ref, phase: "call", toolCallId: c.id, name: c.name, arguments: c.arguments });
  const results = await runToolCalls(calls, {
    tools: toolMap, signal: handle.controller.signal, timeoutMs: cfg.agent.toolTimeoutMs, maxChars: cfg.agent.toolOutputMaxChars,
    sessionId: handle.sessionId, runId: handle.id, logger: deps.logger, ...(deps.redact ? { redact: deps.redact } : {}),
    onResult: (r) => handle.emit("run.tool", { ...ref, phase: "result", toolCallId: r.toolCallId, name: r.name, result: r.content, isError: r.isError }),
    ...(deps.approve ? { gate: gateOf(handle, deps.approve, model) } : {}),
  });
  // the daemon's stop cut the step off: no results are stored, so the re-run at the next start runs these calls again
  if (handle.stoppedByShutdown) throw new AgentdError("aborted", "the run was stopped by the daemon's stop");
  for (const r of results) {
    deps.store.insertMessage({ sessionId: handle.sessionId, runId: handle.id, role: "tool", content: r.content, toolCallId: r.toolCallId, status: r.isError ? "error" : "ok" });
    history.push({ role: "tool", tool_call_id: r.toolCallId, content: r.content });
  }
  if (handle.controller.signal.aborted) throw new AgentdError("aborted", "the run was aborted");
}

/** The tool gate of one run: asks the approval policy; while a call waits, the run's status says so. */
function gateOf(handle: RunHandle, approve: NonNullable<RunDeps["approve"]>, model: ResolvedModel) {
  return async (call: ToolCall, args: unknown) => {
    let waited = false;
    const verdict = await approve(handle, call, args, (approvalId) => {
      waited = true;
      handle.emit("run.status", { runId: handle.id, sessionId: handle.sessionId, status: "awaiting_approval", approvalId });
    });
    if (waited) handle.emit("run.status", { runId: handle.id, sessionId: handle.sessionId, status: "running", model: model.name });
    return verdict;
  };
}
