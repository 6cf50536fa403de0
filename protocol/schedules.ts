import { z } from "zod";
import { defineMethod } from "./method-spec.js";
import { DeliveryAddress } from "./deliveries.js";

/**
 * Where a scheduled or webhook-triggered result goes: the outbox's {@link DeliveryAddress} (`platform`, `chatId`,
 * optional `threadId`, optional `replyTo` = the platform message id to answer).
 */
export const ScheduleTarget = DeliveryAddress;
/** See {@link ScheduleTarget}. */
export type ScheduleTarget = DeliveryAddress;

/** One address or a list of them (at most 10); always an array once parsed. */
export const DeliverToField = z.union([ScheduleTarget, z.array(ScheduleTarget).max(10)]).transform((v) => (Array.isArray(v) ? v : [v]));

/** What a recurring job does with due times missed while the daemon was down: `skip` them, or fire `once`. */
export const CatchUp = z.enum(["skip", "once"]);

/** The session a job's runs go to: its `own` session (created with the job) or the current session of the `chat` it delivers to. */
export const ScheduleSession = z.enum(["own", "chat"]);

/** Shortest interval of `everyMs`, in ms (1 second). */
export const MIN_EVERY_MS = 1000;
/** Default time limit of one run of a job, in ms (5 minutes). */
export const DEFAULT_JOB_TIMEOUT_MS = 300_000;
/** Default number of attempts of a failing firing before it is reported (3). */
export const DEFAULT_JOB_MAX_ATTEMPTS = 3;
/** Default delay before the first retry of a failed firing, in ms (30 s; doubled per attempt, at most 10 minutes). */
export const DEFAULT_JOB_RETRY_INITIAL_MS = 30_000;

/** Longest prompt of a job, in characters. */
export const SCHEDULE_PROMPT_MAX_CHARS = 20_000;

const when = {
  at: z.string().min(1).max(100).describe(
    "One instant: ISO 8601 (`2026-11-28T09:00:00+01:00`; without an offset it is read in the job's time zone) or `in N seconds|minutes|hours|days|weeks`, resolved once when the job is saved.",
  ).optional(),
  cron: z.string().min(1).max(200).describe("A 5-field (minute precision) or 6-field (seconds first) cron expression, read in `timezone`.").optional(),
  everyMs: z.number().int().min(MIN_EVERY_MS).max(366 * 86_400_000).describe("A fixed interval in milliseconds (at least 1000), counted from when the job is saved.").optional(),
};

const settings = {
  name: z.string().trim().min(1).max(100),
  prompt: z.string().trim().min(1).max(SCHEDULE_PROMPT_MAX_CHARS).describe("What the agent is asked at each firing."),
  timezone: z.string().max(64).describe("IANA time zone of `cron` and of an `at` without offset; default: `agent.timezone`.").optional(),
  deliverTo: DeliverToField.describe("Channel address(es) the result is sent to; none: it stays in the session.").optional(),
  session: ScheduleSession.optional(),
  catchUp: CatchUp.optional(),
  enabled: z.boolean().optional(),
  maxSteps: z.number().int().min(1).max(100).describe("Tool steps of one run; default `agent.maxSteps`.").optional(),
  timeoutMs: z.number().int().min(1000).max(3_600_000).describe(`Time limit of one run in ms (default ${DEFAULT_JOB_TIMEOUT_MS}).`).optional(),
  maxAttempts: z.number().int().min(1).max(10).describe(`Attempts before a failure is reported (default ${DEFAULT_JOB_MAX_ATTEMPTS}).`).optional(),
  retryInitialMs: z.number().int().min(100).max(3_600_000).describe(`Delay before the first retry in ms (default ${DEFAULT_JOB_RETRY_INITIAL_MS}), doubled per attempt.`).optional(),
};

const whenCount = (v: { at?: unknown; cron?: unknown; everyMs?: unknown }) => [v.at, v.cron, v.everyMs].filter((x) => x !== undefined).length;

/** Body of `POST /api/schedules` / params of `schedules.create`: exactly one of `at`, `cron`, `everyMs`. */
export const ScheduleCreate = z.strictObject({ ...when, ...settings }).refine((v) => whenCount(v) === 1, {
  message: "give exactly one of at, cron, everyMs", path: ["at"],
});
/** See {@link ScheduleCreate}. */
export type ScheduleCreate = z.output<typeof ScheduleCreate>;

/** Body of `PATCH /api/schedules/{id}`: any field of {@link ScheduleCreate}; a new `at`/`cron`/`everyMs` replaces the old schedule. */
export const ScheduleUpdate = z.strictObject({ ...when, ...settings, name: settings.name.optional(), prompt: settings.prompt.optional() })
  .refine((v) => whenCount(v) <= 1, { message: "give at most one of at, cron, everyMs", path: ["at"] });
/** See {@link ScheduleUpdate}. */
export type ScheduleUpdate = z.output<typeof ScheduleUpdate>;

/**
 * One firing of a job (a due time, or a manual run): `status` `running` → `ok` (delivered), `silent` (the heartbeat
 * had nothing to report), `skipped` (the heartbeat's cheap check found nothing, no model call), or `failed`
 * (after `attempts` attempts; reported once to the targets). `deliveryIds` are the outbox rows it wrote.
 * `trigger`: `due`, `catch_up` (missed while the daemon was down) or `manual` (`POST /api/schedules/{id}/run`).
 */
export const Firing = z.strictObject({
  id: z.string(),
  scheduleId: z.string(),
  dueAt: z.string(),
  trigger: z.enum(["due", "catch_up", "manual"]),
  status: z.enum(["running", "ok", "silent", "skipped", "failed"]),
  attempts: z.number().int().min(0),
  runId: z.string().nullable(),
  error: z.string().nullable(),
  deliveryIds: z.array(z.string()),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
});
/** See {@link Firing}. */
export type Firing = z.infer<typeof Firing>;

/**
 * A scheduled job. `source`: `config` (agentd.yaml `schedules:`/`heartbeat:`; change it there), `api` (REST or
 * protocol) or `agent` (the `schedule_create` tool). `at` is the resolved instant (ISO 8601 UTC) of a one-shot;
 * `nextRunAt` is null once a one-shot has fired or while the job is disabled. Times are ISO 8601 UTC.
 */
export const Schedule = z.strictObject({
  id: z.string(),
  name: z.string(),
  source: z.enum(["config", "api", "agent"]),
  kind: z.enum(["at", "cron", "every", "heartbeat"]),
  at: z.string().optional(),
  cron: z.string().optional(),
  everyMs: z.number().int().optional(),
  timezone: z.string(),
  prompt: z.string(),
  deliverTo: z.array(ScheduleTarget),
  session: ScheduleSession,
  sessionId: z.string().nullable(),
  catchUp: CatchUp,
  enabled: z.boolean(),
  maxSteps: z.number().int().optional(),
  timeoutMs: z.number().int(),
  maxAttempts: z.number().int(),
  retryInitialMs: z.number().int(),
  nextRunAt: z.string().nullable(),
  lastFiring: Firing.nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
/** See {@link Schedule}. */
export type Schedule = z.infer<typeof Schedule>;

const byId = z.strictObject({ id: z.string().min(1).max(100) });

/** The schedule methods (issue 11); REST: `/api/schedules` (docs/schedules.md). */
export const scheduleMethods = {
  "schedules.list": defineMethod({ scope: "read",
    params: z.strictObject({}),
    result: z.strictObject({ schedules: z.array(Schedule) }),
    description: "Every scheduled job (config, API and agent-made), with its next due time and last firing.",
    rest: { method: "get", path: "/api/schedules", tag: "schedules", summary: "Every scheduled job with its next due time and last firing." },
  }),
  "schedules.get": defineMethod({ scope: "read", params: byId, result: Schedule, description: "One scheduled job by id.",
    rest: { method: "get", path: "/api/schedules/{id}", tag: "schedules", summary: "One scheduled job.", errors: [404] },
  }),
  "schedules.create": defineMethod({ scope: "admin", params: ScheduleCreate, result: Schedule, description: "Create a job: `at`, `cron` or `everyMs`, a prompt, and where the result goes (`deliverTo`).", sideEffect: true,
    rest: { method: "post", path: "/api/schedules", tag: "schedules", status: 201, summary: "Create a job: one of `at`, `cron`, `everyMs`; a `prompt`; `deliverTo` channel address(es).", errors: [400] },
  }),
  "schedules.update": defineMethod({ scope: "admin",
    params: z.strictObject({ id: byId.shape.id, patch: ScheduleUpdate }),
    result: Schedule,
    description: "Change a job made over the API or by the agent (config jobs are changed in agentd.yaml).",
    sideEffect: true,
    rest: { method: "patch", path: "/api/schedules/{id}", body: "patch", tag: "schedules", summary: "Change a job made over the API or by the agent (config jobs: 409).", errors: [400, 404, 409] },
  }),
  "schedules.delete": defineMethod({ scope: "admin", params: byId, result: z.strictObject({ deleted: z.boolean() }), description: "Delete a job made over the API or by the agent; its firings go with it.", sideEffect: true,
    rest: { method: "delete", path: "/api/schedules/{id}", tag: "schedules", summary: "Delete a job made over the API or by the agent (config jobs: 409).", errors: [404, 409] },
  }),
  "schedules.run": defineMethod({ scope: "admin", params: byId, result: Firing, description: "Fire a job now (a `manual` firing); answers once the firing is recorded.", sideEffect: true,
    rest: { method: "post", path: "/api/schedules/{id}/run", tag: "schedules", status: 202, summary: "Fire a job now; answers 202 with the recorded firing.", errors: [404] },
  }),
  "schedules.firings": defineMethod({ scope: "read",
    params: z.strictObject({ id: byId.shape.id, limit: z.number().int().min(1).max(1000).default(50) }),
    result: z.strictObject({ firings: z.array(Firing) }),
    description: "A job's firings, newest first.",
    rest: { method: "get", path: "/api/schedules/{id}/firings", tag: "schedules", summary: "A job's firings, newest first (`?limit=50`).", errors: [404] },
  }),
};
