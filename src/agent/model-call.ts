import type { ChatCompletionMessageParam, ChatCompletionTool, ChatCompletionChunk } from "openai/resources/chat/completions";
import { withoutImages } from "../media/render.js";
import { acceptsImages } from "../media/vision.js";
import type { ToolCall } from "../../protocol/chat.js";
import { AgentdError } from "../errors.js";
import { cutChars } from "./limits.js";
import { modelError, shouldFallback, type ProviderPool, type ResolvedModel } from "./provider.js";

/** Token counts reported by the provider for one call (`stream_options.include_usage`). */
export interface CallUsage {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
}

/** What one streamed model call produced: text, assembled tool calls, usage, and which model answered. */
export interface ModelCallResult {
  text: string;
  toolCalls: ToolCall[];
  usage: CallUsage | undefined;
  model: ResolvedModel;
  finishReason: string | null;
  /**
   * True when the output reached `maxChars`: the stream was abandoned there (the request aborted), `text` holds
   * the output up to the cap and `toolCalls` is empty (their arguments are incomplete).
   */
  truncated: boolean;
}

/** Options of {@link streamModelCall}. `idleTimeoutMs`: longest silence allowed mid-stream (default 60 000). */
export interface ModelCallOptions {
  pool: ProviderPool;
  candidates: string[];
  messages: ChatCompletionMessageParam[];
  tools?: ChatCompletionTool[] | undefined;
  signal: AbortSignal;
  idleTimeoutMs?: number;
  onDelta?: (text: string) => void;
  onModel?: (model: ResolvedModel) => void;
  /**
   * Most characters this call may produce, text and tool-call arguments together (the run's budget left under
   * `agent.maxReplyChars`); past it the call stops reading and returns `truncated: true`. Default unlimited.
   */
  maxChars?: number;
  /** Called for a failed model before moving on to the next candidate (not for the last one: there is no next). */
  onFallback?: (model: string, err: AgentdError) => void;
}

/**
 * Streams one chat completion, trying `candidates` in order: a model that fails with 429, 5xx, a timeout or a
 * connection error *before its first delta* hands over to the next (after the SDK's own retries). Text deltas
 * go to `onDelta` as they arrive; streamed `tool_calls` deltas are assembled by index (id and name first,
 * arguments in pieces; OpenAI's streaming format). Output past `maxChars` is not read: the request is aborted and
 * the result is `truncated`, so memory stays bounded whatever the model sends. Throws an {@link AgentdError}; an
 * abort throws code `aborted`.
 */
export async function streamModelCall(opts: ModelCallOptions): Promise<ModelCallResult> {
  let lastErr: AgentdError | undefined;
  for (const [i, name] of opts.candidates.entries()) {
    const model = await opts.pool.resolve(name);
    let emitted = false;
    try {
      return await streamOnce(model, opts, () => (emitted = true));
    } catch (err) {
      if (opts.signal.aborted) throw new AgentdError("aborted", "the run was aborted");
      const e = modelError(err, name, opts.pool.keySource(model.providerName));
      if (emitted || !shouldFallback(e)) throw e;
      if (i < opts.candidates.length - 1) opts.onFallback?.(name, e);
      lastErr = e;
    }
  }
  throw lastErr ?? new AgentdError("model_error", "no model is configured");
}

async function streamOnce(model: ResolvedModel, opts: ModelCallOptions, markEmitted: () => void): Promise<ModelCallResult> {
  const idle = new AbortController();
  const signal = AbortSignal.any([opts.signal, idle.signal]);
  const idleMs = opts.idleTimeoutMs ?? 60_000;
  const timer = setTimeout(() => idle.abort(), idleMs);
  // restarts the same timer (no new Timeout object per chunk)
  const bump = () => void timer.refresh();
  try {
    const stream = await model.client.chat.completions.create(
      {
        model: model.config.model,
        // a fallback model without vision gets one line per image instead of the parts it would refuse
        messages: acceptsImages(model.config) ? opts.messages : withoutImages(opts.messages),
        stream: true,
        stream_options: { include_usage: true },
        ...(opts.tools && opts.tools.length > 0 ? { tools: opts.tools } : {}),
        ...(model.config.maxOutputTokens ? { max_tokens: model.config.maxOutputTokens } : {}),
        ...(model.config.temperature !== undefined ? { temperature: model.config.temperature } : {}),
      },
      { signal },
    );
    opts.onModel?.(model);
    let text = "";
    let usage: CallUsage | undefined;
    let finishReason: string | null = null;
    let room = opts.maxChars ?? Number.POSITIVE_INFINITY;
    let truncated = false;
    const calls: Array<{ id: string; name: string; arguments: string }> = [];
    // leaving the loop early (`break`) ends the SDK's stream, which aborts the HTTP request
    reading: for await (const chunk of stream as AsyncIterable<ChatCompletionChunk>) {
      bump();
      if (chunk.usage) {
        usage = {
          promptTokens: chunk.usage.prompt_tokens ?? 0,
          completionTokens: chunk.usage.completion_tokens ?? 0,
          cachedTokens: chunk.usage.prompt_tokens_details?.cached_tokens ?? 0,
        };
      }
      const choice = chunk.choices?.[0];
      if (!choice) continue;
      if (choice.finish_reason) finishReason = choice.finish_reason;
      const delta = choice.delta;
      if (delta?.content) {
        const piece = cutChars(delta.content, room);
        room -= piece.length;
        if (piece) {
          text += piece;
          markEmitted();
          opts.onDelta?.(piece);
        }
        if (piece.length < delta.content.length) {
          truncated = true;
          break reading;
        }
      }
      for (const tc of delta?.tool_calls ?? []) {
        markEmitted();
        const slot = (calls[tc.index] ??= { id: "", name: "", arguments: "" });
        if (tc.id) slot.id = tc.id;
        const name = tc.function?.name ?? "";
        const args = tc.function?.arguments ?? "";
        room -= name.length + args.length;
        if (room < 0) {
          truncated = true;
          break reading;
        }
        slot.name += name;
        slot.arguments += args;
      }
    }
    if (truncated) return { text, toolCalls: [], usage, model, finishReason: "length", truncated };
    if (idle.signal.aborted && !opts.signal.aborted) throw new AgentdError("timeout", `model ${model.name} stalled for ${idleMs} ms`, { retryable: true });
    // the SDK ends a stream quietly on abort: tell the caller
    if (opts.signal.aborted) throw new AgentdError("aborted", "the run was aborted");
    const toolCalls = calls.filter(Boolean).map((c, i) => ({ id: c.id || `call_${i}`, name: c.name, arguments: c.arguments }));
    return { text, toolCalls, usage, model, finishReason, truncated: false };
  } catch (err) {
    if (idle.signal.aborted && !opts.signal.aborted) throw new AgentdError("timeout", `model ${model.name} stalled for ${idleMs} ms`, { retryable: true });
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** What one non-streamed model call produced (titles, compaction summaries). */
export interface CompletionResult {
  text: string;
  usage: CallUsage | undefined;
  model: ResolvedModel;
}

/**
 * One non-streamed chat completion without tools (session titles, compaction summaries), trying `candidates`
 * in order like {@link streamModelCall}: 429, 5xx, timeouts and connection errors move on to the next model
 * (after the SDK's own retries). The answer is capped (`max_tokens`) only when the model config sets
 * `maxOutputTokens`, as for chat calls: reasoning models reject `max_tokens` and spend small caps on reasoning,
 * so callers bound the length in their instructions and clean the answer instead. Throws an
 * {@link AgentdError}; an abort throws code `aborted`.
 */
export async function completeModelCall(opts: {
  pool: ProviderPool;
  candidates: string[];
  messages: ChatCompletionMessageParam[];
  signal: AbortSignal;
  onFallback?: (model: string, err: AgentdError) => void;
}): Promise<CompletionResult> {
  let lastErr: AgentdError | undefined;
  for (const [i, name] of opts.candidates.entries()) {
    const model = await opts.pool.resolve(name);
    try {
      const res = await model.client.chat.completions.create(
        {
          model: model.config.model, messages: opts.messages, stream: false,
          ...(model.config.maxOutputTokens ? { max_tokens: model.config.maxOutputTokens } : {}),
          ...(model.config.temperature !== undefined ? { temperature: model.config.temperature } : {}),
        },
        { signal: opts.signal },
      );
      const u = res.usage;
      const usage = u
        ? { promptTokens: u.prompt_tokens ?? 0, completionTokens: u.completion_tokens ?? 0, cachedTokens: u.prompt_tokens_details?.cached_tokens ?? 0 }
        : undefined;
      return { text: res.choices?.[0]?.message?.content ?? "", usage, model };
    } catch (err) {
      if (opts.signal.aborted) throw new AgentdError("aborted", "the call was aborted");
      const e = modelError(err, name, opts.pool.keySource(model.providerName));
      if (!shouldFallback(e)) throw e;
      if (i < opts.candidates.length - 1) opts.onFallback?.(name, e);
      lastErr = e;
    }
  }
  throw lastErr ?? new AgentdError("model_error", "no model is configured");
}
