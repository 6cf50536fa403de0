import type { Config } from "../config/schema.js";
import type { HeartbeatCheck } from "../store/schema.js";
import type { ScheduleService } from "./jobs.js";
import { CONFIG_JOB_PREFIX, HEARTBEAT_JOB_ID, resolveWhen } from "./jobs.js";
import { nextDue, resolveAt, type When } from "../config/sections/schedule-timing.js";
import { DEFAULT_HEARTBEAT_EVERY_MS } from "../config/sections/schedules.js";
import { DEFAULT_JOB_MAX_ATTEMPTS, DEFAULT_JOB_RETRY_INITIAL_MS, DEFAULT_JOB_TIMEOUT_MS } from "../../protocol/schedules.js";

/** What the heartbeat's cheap check reads: the prompt file and the conditions (stored as the job's `check` JSON). */
export type { HeartbeatCheck } from "../store/schema.js";

/**
 * Makes the stored `config` jobs match `schedules:` and `heartbeat:` of agentd.yaml (at start and after each config
 * change). A config one-shot whose instant is already past when first loaded still fires once (a missed one-shot).
 */
export function syncConfigJobs(service: ScheduleService, cfg: Config): void {
  const tzDefault = cfg.agent.timezone;
  const entries: Parameters<ScheduleService["syncConfig"]>[0] = Object.entries(cfg.schedules).map(([name, job]) => ({
    id: `${CONFIG_JOB_PREFIX}${name}`, name, json: JSON.stringify({ ...job, tz: tzDefault }),
    build: (now) => {
      const timezone = job.timezone ?? tzDefault;
      // a one-shot's instant is resolved once, on first load; a past one is kept (it fires once as a catch-up)
      const when: When = job.at !== undefined ? { kind: "at", atMs: resolveAt(job.at, timezone, now) } : resolveWhen(job, timezone, now)!;
      return {
        ...(when.kind === "at" ? { kind: "at" as const, spec: String(when.atMs) } : when.kind === "cron" ? { kind: "cron" as const, spec: when.cron } : { kind: "every" as const, spec: String(when.everyMs) }),
        timezone, prompt: job.prompt, deliverTo: job.deliverTo ?? [], session: job.session ?? "own",
        catchUp: job.catchUp ?? "once", enabled: job.enabled, maxSteps: job.maxSteps ?? null,
        timeoutMs: job.timeoutMs ?? DEFAULT_JOB_TIMEOUT_MS, maxAttempts: job.maxAttempts ?? DEFAULT_JOB_MAX_ATTEMPTS,
        retryInitialMs: job.retryInitialMs ?? DEFAULT_JOB_RETRY_INITIAL_MS, check: null,
        nextDueAt: when.kind === "at" ? when.atMs : nextDue(when, timezone, now - 1, now),
      };
    },
  }));
  const hb = cfg.heartbeat;
  if (hb) {
    entries.push({
      id: HEARTBEAT_JOB_ID, name: "heartbeat", json: JSON.stringify({ ...hb, tz: tzDefault }),
      build: (now) => {
        const timezone = hb.timezone ?? tzDefault;
        const when: When = hb.cron !== undefined ? { kind: "cron", cron: hb.cron } : { kind: "every", everyMs: hb.everyMs ?? DEFAULT_HEARTBEAT_EVERY_MS };
        const check: HeartbeatCheck = { promptFile: hb.promptFile, conditions: hb.conditions ?? [] };
        return {
          kind: "heartbeat" as const, spec: when.kind === "cron" ? `cron:${when.cron}` : `every:${when.everyMs}`, timezone,
          prompt: hb.promptFile, deliverTo: hb.deliverTo ?? [], session: "own" as const, catchUp: "skip" as const,
          enabled: hb.enabled, maxSteps: hb.maxSteps ?? null, timeoutMs: hb.timeoutMs ?? DEFAULT_JOB_TIMEOUT_MS, maxAttempts: 1,
          retryInitialMs: DEFAULT_JOB_RETRY_INITIAL_MS, check, nextDueAt: nextDue(when, timezone, now, now),
        };
      },
    });
  }
  service.syncConfig(entries);
}
