import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import type { LoopBudget } from "../loop-budget.js";
import type { MessageRow, Store } from "../store/store.js";
import type { ToolCall, Usage } from "../../protocol/chat.js";
import type { WireError } from "../../protocol/errors.js";
import type { DeliveryAttachment } from "../../protocol/deliveries.js";
import type { Tool } from "./tools/tool.js";
import type { CallUsage } from "./model-call.js";
import type { ProviderPool, ResolvedModel } from "./provider.js";
import type { RunHandle } from "./run-handle.js";

/** What a run needs from the daemon. `tools()` and `config()` are read per run, so live edits apply next turn. */
export interface RunDeps {
  dir: string;
  store: Store;
  config: () => Config;
  pool: ProviderPool;
  tools: () => Tool[];
  logger: Logger;
  /** Cost in USD of one call, or null when the model has no price. */
  price: (model: ResolvedModel, usage: CallUsage) => number | null;
  /** Scrubs secrets from tool outputs before the model sees them. */
  redact?: (text: string) => string;
  /**
   * Shrinks the session's context when it passes the budget (compaction); returns true if it changed anything.
   * `loaded`: the session's `contextMessages` rows and the system prompt the run already read (so a turn reads
   * the history once; after a compaction the run reads it again).
   */
  compact?: (sessionId: string, model: ResolvedModel, signal: AbortSignal, loaded?: { rows: MessageRow[]; system: string }) => Promise<boolean>;
  /**
   * Writes the text a run ends with (its reply, or one short error line) to the run's delivery targets: the
   * outbox. Called inside the transaction that stores the run's end, so both commit or neither (issue 11).
   */
  deliver?: (handle: RunHandle, text: string, voice?: DeliveryAttachment) => void;
  /**
   * The approval policy (issue 13): asked before each tool call; may wait for the owner's answer (the run's status
   * says `awaiting_approval` through `onWait`) or refuse with a message for the model.
   */
  approve?: (handle: RunHandle, call: ToolCall, args: unknown, onWait: (approvalId: string) => void) => Promise<{ ok: true } | { ok: false; message: string }>;
  /**
   * Text-to-speech of a run's reply when one of its targets wants voice replies (issue 12): the voice note to
   * deliver instead of the text there, or undefined. Called before the run's end is stored; never throws.
   */
  speak?: (handle: RunHandle, text: string) => Promise<DeliveryAttachment | undefined>;
  /** The files the run sent (`send_file`), for its `run.done`; called once at the run's end. */
  replyFiles?: (runId: string) => DeliveryAttachment[];
  /**
   * The event loop's time budget a run's start and end take their turn under (src/loop-budget.ts); default: the
   * daemon's shared `loopBudget`.
   */
  budget?: LoopBudget;
  /**
   * Called after a run ends, whatever its status (metrics, session titles), once its final event has been handed
   * to the transports (a `setImmediate` later, see `afterReply`).
   */
  onEnd?: (info: { handle: RunHandle; status: string; model: string | undefined; durationMs: number; usage: Usage; error?: WireError }) => void;
}
