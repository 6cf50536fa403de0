import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import type { Store } from "../store/store.js";
import { loopBudget } from "../loop-budget.js";
import { conversationRows } from "./context.js";
import { completeModelCall, type CallUsage } from "./model-call.js";
import type { ProviderPool, ResolvedModel } from "./provider.js";
import type { RunDeps } from "./run-loop.js";

/** Longest session title, in characters. */
export const TITLE_MAX_CHARS = 80;

/** Instructions of the titling call. */
export const TITLE_INSTRUCTIONS =
  "Give this conversation a short title: at most 6 words, in its language, no quotes, no final period. Output only the title.";

/** Longest time a titling call may take, in ms. */
const TITLE_TIMEOUT_MS = 30_000;

/**
 * Cleans a model's title answer: first non-empty line, without Markdown marks, quotes, a `Title:` prefix or a
 * final period, whitespace collapsed, cut to {@link TITLE_MAX_CHARS} at a word boundary (with `…`). May be "".
 */
export function cleanTitle(raw: string): string {
  const line = raw.split(/\r?\n/).map((l) => l.trim()).find((l) => l.length > 0) ?? "";
  let t = line
    .replace(/^#+\s*/, "")
    .replace(/^title\s*:\s*/i, "")
    .replace(/[*_`]/g, "")
    .replace(/^["'\u201c\u201d\u2018\u2019\u00ab\u00bb]+|["'\u201c\u201d\u2018\u2019\u00ab\u00bb]+$/g, "") // “”‘’«»
    .replace(/\.+$/, "")
    .replace(/\s+/g, " ")
    .trim();
  if (t.length > TITLE_MAX_CHARS) {
    const cut = t.slice(0, TITLE_MAX_CHARS - 1);
    const space = cut.lastIndexOf(" ");
    t = `${(space > TITLE_MAX_CHARS / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
  }
  return t;
}

/** What the titler needs from the daemon. */
export interface TitlerDeps {
  store: Store;
  pool: ProviderPool;
  config: () => Config;
  logger: Logger;
  price: (model: ResolvedModel, usage: CallUsage) => number | null;
}

/**
 * The session titler (issue 3): its `onEnd` run listener, after a run that ended `ok` in a session without a
 * title (and with `agent.titleSessions` on), asks the model that answered (then the fallbacks) for a title in
 * the background, from the session's first user message and reply, and stores it (at most
 * {@link TITLE_MAX_CHARS}, one line) unless a title was set meanwhile. Usage is recorded with purpose `title`.
 * It never blocks or fails the run: errors are logged. `stop()` aborts titling calls in flight.
 */
export function createTitler(deps: TitlerDeps): { onEnd: NonNullable<RunDeps["onEnd"]>; stop(): void; idle(): Promise<void> } {
  const inFlight = new Map<string, Promise<void>>();
  const stopper = new AbortController();

  async function title(sessionId: string, runId: string, modelName: string): Promise<void> {
    // background work: the call's start and its commit take their turn under the loop's budget (issue 20: the first
    // turns of 200 new sessions start 200 titling calls at once)
    await loopBudget.pass();
    const rows = conversationRows(deps.store.contextMessages(sessionId));
    const user = rows.find((r) => r.role === "user");
    const reply = rows.find((r) => r.role === "assistant" && r.content && r.status === "ok");
    if (!user || !reply) return;
    const res = await completeModelCall({
      pool: deps.pool, candidates: deps.pool.candidates(modelName),
      signal: AbortSignal.any([stopper.signal, AbortSignal.timeout(TITLE_TIMEOUT_MS)]),
      messages: [
        { role: "system", content: TITLE_INSTRUCTIONS },
        { role: "user", content: `User: ${user.content.slice(0, 1000)}\n\nAssistant: ${reply.content.slice(0, 1000)}` },
      ],
    });
    await loopBudget.pass();
    const t = cleanTitle(res.text);
    // the call's usage and the title: one commit
    deps.store.transaction(() => {
      if (res.usage) {
        deps.store.recordUsage({
          sessionId, runId, model: res.model.name, provider: res.model.providerName, purpose: "title",
          ...res.usage, costUsd: deps.price(res.model, res.usage),
        });
      }
      if (t && !deps.store.sessionHead(sessionId)?.title) deps.store.setTitle(sessionId, t);
    });
  }

  return {
    onEnd: ({ handle, status, model }) => {
      const sessionId = handle.sessionId;
      if (status !== "ok" || !model || stopper.signal.aborted || inFlight.has(sessionId)) return;
      try {
        if (!deps.config().agent.titleSessions || deps.store.sessionHead(sessionId)?.title !== null) return;
      } catch (err) {
        deps.logger.warn({ err, sessionId }, "could not check the session title");
        return;
      }
      const job = title(sessionId, handle.id, model)
        .catch((err: unknown) => {
          if (!stopper.signal.aborted) deps.logger.warn({ err, sessionId }, "could not title the session");
        })
        .finally(() => inFlight.delete(sessionId));
      inFlight.set(sessionId, job);
    },
    stop: () => stopper.abort(),
    idle: async () => {
      await Promise.all(inFlight.values());
    },
  };
}
