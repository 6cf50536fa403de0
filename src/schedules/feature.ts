import type { DaemonContext, FeatureFactory } from "../feature.js";
import { ScheduleQueries, type ScheduleRow } from "../store/schedule-queries.js";
import type { ScheduleTarget } from "../../protocol/schedules.js";
import { isoInZone } from "../agent/zoned-time.js";
import { ScheduleService, toWireFiring } from "./jobs.js";
import { ScheduleEngine } from "./engine.js";
import { executeFiring, type FiringDeps, type JobRunResult } from "./firing.js";
import { heartbeatPrompt } from "./heartbeat.js";
import { syncConfigJobs } from "./config-sync.js";
import { DEFAULT_HEARTBEAT_PROMPT_FILE } from "../config/sections/schedules.js";
import { scheduleTools } from "./tools.js";

/**
 * Runs `text` through the runner and resolves when the run ends. The job's time limit aborts the run
 * (`timedOut: true`). Throws what `runner.send` throws (shutting down, storage errors).
 */
export function runThroughRunner(ctx: DaemonContext, input: Parameters<FiringDeps["runJob"]>[0]): Promise<JobRunResult> {
  return new Promise<JobRunResult>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    let done = false;
    const finish = (r: Omit<JobRunResult, "timedOut">) => {
      done = true;
      clearTimeout(timer);
      resolve({ ...r, timedOut });
    };
    try {
      // a finished run re-attached by its key replays its end synchronously, inside send()
      const sent = ctx.runner.send({ text: input.text, idempotencyKey: input.idempotencyKey, sessionId: input.sessionId }, (event, payload) => {
        if (event === "run.done") {
          const p = payload as { runId: string; status: JobRunResult["status"]; text: string };
          finish({ runId: p.runId, status: p.status, text: p.text });
        } else if (event === "run.error") {
          const p = payload as { runId: string; error: { code: string; message: string }; text: string };
          finish({ runId: p.runId, status: p.error.code === "aborted" ? "aborted" : "error", text: p.text, error: `${p.error.code}: ${p.error.message}` });
        }
      }, { maxSteps: input.maxSteps });
      if (done) return;
      timer = setTimeout(() => {
        timedOut = true;
        ctx.runner.abort({ runId: sent.runId });
      }, input.timeoutMs);
      timer.unref();
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

/** The chat a run came from (its user message's channel), as a delivery target; undefined for API runs. */
function chatOfRun(ctx: DaemonContext, runId: string): ScheduleTarget | undefined {
  const run = ctx.store.getRun(runId);
  const msg = run && ctx.store.getMessage(run.userMessageId);
  if (!msg?.channel) return undefined;
  const ch = msg.channel;
  return { platform: ch.platform, chatId: ch.chatId, ...(ch.threadId ? { threadId: ch.threadId } : {}) };
}

/**
 * Schedules (issue 11): jobs from agentd.yaml (`schedules:`, `heartbeat:`), the agent's tools (`schedule_create`,
 * `schedule_list`, `schedule_delete`), REST `/api/schedules` and the `schedules.*` protocol methods. Each firing
 * runs the job's prompt in its session and writes the result to the outbox for its targets (docs/schedules.md).
 */
export const schedulesFeature: FeatureFactory = (ctx) => {
  const logger = ctx.logger.child({ component: "schedules" });
  const queries = new ScheduleQueries(ctx.store);
  const service = new ScheduleService({ queries, defaultTimeZone: () => ctx.config.get().agent.timezone });
  const stopping = new AbortController();
  const sessionFor = (job: ScheduleRow): string => {
    const targets = job.deliverTo;
    const chat = targets[0];
    if (job.session === "chat" && chat) {
      const b = ctx.store.getBinding(chat.platform, chat.chatId, chat.threadId ?? "");
      if (b && ctx.store.sessionHead(b.sessionId)) return b.sessionId;
      const s = ctx.store.createSession();
      ctx.store.setBinding(chat.platform, chat.chatId, chat.threadId ?? "", s.id);
      return s.id;
    }
    if (job.sessionId && ctx.store.sessionHead(job.sessionId)) return job.sessionId;
    const s = ctx.store.createSession(job.kind === "heartbeat" ? "Heartbeat" : `Scheduled: ${job.name}`);
    queries.update(job.id, { sessionId: s.id });
    return s.id;
  };
  const deps: FiringDeps = {
    queries, logger, sessionFor,
    runJob: (input) => runThroughRunner(ctx, input),
    deliver: (input) => ctx.outbox.enqueue(input).id,
    heartbeatPrompt: (job, previous) => heartbeatPrompt(ctx.dir, job.check ?? { promptFile: DEFAULT_HEARTBEAT_PROMPT_FILE, conditions: [] }, previous),
    shuttingDown: () => stopping.signal.aborted || !ctx.runner.isAccepting,
    sleep: (ms) => new Promise<void>((r) => {
      const t = setTimeout(r, ms);
      stopping.signal.addEventListener("abort", () => {
        clearTimeout(t);
        r();
      }, { once: true });
    }),
    formatDue: (ms, tz) => isoInZone(new Date(ms), tz),
  };
  const engine = new ScheduleEngine({ queries, logger, execute: (job, firing) => executeFiring(deps, job, firing) });
  let started = false;
  service.onChange = () => {
    if (started) engine.arm();
  };
  const tools = scheduleTools({ service, chatOf: (runId) => chatOfRun(ctx, runId), timeZone: () => ctx.config.get().agent.timezone });
  const firings = (id: string, limit: number) => {
    service.require(id);
    return { firings: queries.firings(id, limit).map(toWireFiring) };
  };
  const runNow = (id: string) => toWireFiring(engine.runNow(service.require(id)));
  return {
    name: "schedules",
    tools: () => tools,
    handlers: (registry) => {
      registry
        .on("schedules.list", () => ({ schedules: service.list().map((r) => service.toWire(r)) }))
        .on("schedules.get", ({ id }) => service.toWire(service.require(id)))
        .on("schedules.create", (p) => service.toWire(service.create(p, "api")))
        .on("schedules.update", ({ id, patch }) => service.toWire(service.update(id, patch)))
        .on("schedules.delete", ({ id }) => (service.delete(id), { deleted: true }))
        .on("schedules.run", ({ id }) => runNow(id))
        .on("schedules.firings", ({ id, limit }) => firings(id, limit));
    },
    start: () => {
      try {
        syncConfigJobs(service, ctx.config.get());
      } catch (err) {
        logger.error({ err }, "could not load the schedules of agentd.yaml");
      }
      ctx.config.onChange((next, _prev, changed) => {
        if (!changed.some((k) => k === "schedules" || k === "heartbeat" || k === "agent")) return;
        try {
          syncConfigJobs(service, next);
        } catch (err) {
          logger.error({ err }, "could not apply the changed schedules of agentd.yaml");
        }
      });
      started = true;
      engine.start();
    },
    stop: async () => {
      stopping.abort();
      engine.stop();
    },
  };
};
