import type { Logger } from "pino";
import type { ToolCall } from "../../protocol/chat.js";
import type { Tool } from "./tools/tool.js";
import { cutChars } from "./limits.js";

/** The outcome of one tool call, as sent back to the model in a `tool` message. */
export interface ToolResult {
  toolCallId: string;
  name: string;
  content: string;
  isError: boolean;
}

/** How much longer than the cap the head of an output is that gets redacted: room for a secret spanning the cut. */
export const REDACT_MARGIN_CHARS = 4_096;

/**
 * Caps a tool output at `maxChars` characters after passing it through `redact`: the head is kept (never
 * splitting a surrogate pair) and a marker says how much was cut, e.g. `[… truncated 12,345 characters]`. Only
 * the first `maxChars + REDACT_MARGIN_CHARS` characters are redacted, so a huge output costs no more than a
 * short one (a secret that starts before the cut is still recognised whole).
 */
export function capOutput(text: string, maxChars: number, redact: (text: string) => string = (t) => t): string {
  const headLength = maxChars + REDACT_MARGIN_CHARS;
  const head = redact(cutChars(text, headLength));
  const rest = Math.max(0, text.length - headLength);
  if (head.length <= maxChars && rest === 0) return head;
  const kept = cutChars(head, maxChars);
  const cut = head.length - kept.length + rest;
  return `${kept}\n[… truncated ${cut.toLocaleString("en-US")} characters]`;
}

/**
 * Runs tool calls concurrently. Each gets an AbortSignal that fires on run abort or after `timeoutMs`; its output
 * is capped at `maxChars`. Unknown tools, bad JSON arguments, thrown errors and timeouts become error results
 * for the model, never exceptions. `redact` scrubs secrets from outputs before the model sees them. `gate`
 * (the approval policy) is asked first and may refuse or hold a call.
 */
export async function runToolCalls(
  calls: ToolCall[],
  opts: {
    tools: Map<string, Tool>;
    signal: AbortSignal;
    timeoutMs: number;
    maxChars: number;
    sessionId: string;
    runId: string;
    logger: Logger;
    redact?: (text: string) => string;
    onResult?: (r: ToolResult) => void;
    /**
     * Asked before a tool runs (the approval policy, issue 13): `{ ok: false, message }` makes `message` the tool's
     * (error) result without running it. It may wait (for the owner's answer); the tool timeout starts after it.
     */
    gate?: (call: ToolCall, args: unknown) => Promise<{ ok: true } | { ok: false; message: string }>;
  },
): Promise<ToolResult[]> {
  const redact = opts.redact ?? ((t: string) => t);
  return Promise.all(
    calls.map(async (call): Promise<ToolResult> => {
      const done = (content: string, isError: boolean): ToolResult => {
        const r = { toolCallId: call.id, name: call.name, content: capOutput(content, opts.maxChars, redact), isError };
        opts.onResult?.(r);
        return r;
      };
      const tool = opts.tools.get(call.name);
      if (!tool) return done(`Error: unknown tool "${call.name}"`, true);
      let args: unknown;
      try {
        args = call.arguments.trim() === "" ? {} : JSON.parse(call.arguments);
      } catch (err) {
        return done(`Error: the arguments are not valid JSON (${(err as Error).message})`, true);
      }
      if (opts.gate) {
        const verdict = await opts.gate(call, args);
        if (opts.signal.aborted) return done("Error: aborted", true);
        if (!verdict.ok) return done(verdict.message, true);
      }
      const timeout = AbortSignal.timeout(opts.timeoutMs);
      const signal = AbortSignal.any([opts.signal, timeout]);
      try {
        const out = await new Promise<string>((resolve, reject) => {
          const onAbort = () => reject(signal.reason);
          signal.addEventListener("abort", onAbort, { once: true });
          tool.run(args, { signal, sessionId: opts.sessionId, runId: opts.runId, logger: opts.logger }).then(resolve, reject)
            .finally(() => signal.removeEventListener("abort", onAbort));
        });
        return done(out, false);
      } catch (err) {
        if (opts.signal.aborted) return done("Error: aborted", true);
        if (timeout.aborted) return done(`Error: the tool timed out after ${opts.timeoutMs} ms`, true);
        return done(`Error: ${(err as Error)?.message ?? String(err)}`, true);
      }
    }),
  );
}
