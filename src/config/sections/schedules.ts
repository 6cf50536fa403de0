import { z } from "zod";
import { CatchUp, DeliverToField, MIN_EVERY_MS, ScheduleSession, SCHEDULE_PROMPT_MAX_CHARS } from "../../../protocol/schedules.js";

/** The reply a heartbeat run gives when there is nothing to say; such a reply is never delivered. */
export const HEARTBEAT_SILENT_REPLY = "NOTHING_TO_REPORT";
/** The heartbeat's default prompt file (in the agent folder). */
export const DEFAULT_HEARTBEAT_PROMPT_FILE = "HEARTBEAT.md";
/** The heartbeat's default interval, in ms (30 minutes). */
export const DEFAULT_HEARTBEAT_EVERY_MS = 30 * 60_000;

const when = {
  at: z.string().min(1).max(100).optional(),
  cron: z.string().min(1).max(200).optional(),
  everyMs: z.number().int().min(MIN_EVERY_MS).optional(),
};
const oneWhen = (v: { at?: unknown; cron?: unknown; everyMs?: unknown }) => [v.at, v.cron, v.everyMs].filter((x) => x !== undefined).length === 1;

/**
 * One job under `schedules:` in agentd.yaml (keyed by its name): exactly one of `at` (ISO 8601, or `in N minutes`
 * resolved when first loaded), `cron` (5 or 6 fields, in `timezone`, default `agent.timezone`) or `everyMs`; the
 * `prompt`; `deliverTo` (a channel address or a list); `session` (`own`, default, or `chat`); `catchUp`
 * (`once`, default, or `skip`); limits (`maxSteps`, `timeoutMs`) and retries (`maxAttempts`, `retryInitialMs`).
 */
export const ScheduleConfig = z.strictObject({
  ...when,
  prompt: z.string().trim().min(1).max(SCHEDULE_PROMPT_MAX_CHARS),
  timezone: z.string().optional(),
  deliverTo: DeliverToField.optional(),
  session: ScheduleSession.optional(),
  catchUp: CatchUp.optional(),
  enabled: z.boolean().default(true),
  maxSteps: z.number().int().min(1).max(100).optional(),
  timeoutMs: z.number().int().min(1000).max(3_600_000).optional(),
  maxAttempts: z.number().int().min(1).max(10).optional(),
  retryInitialMs: z.number().int().min(100).max(3_600_000).optional(),
}).refine(oneWhen, { message: "give exactly one of at, cron, everyMs", path: ["at"] });
/** See {@link ScheduleConfig}. */
export type ScheduleConfig = z.output<typeof ScheduleConfig>;

/**
 * One cheap heartbeat condition, checked without the model: `fileChanged` (a file of the agent folder was modified
 * since the last heartbeat) or `fileNotEmpty` (the file has lines that are not blank, headings, comments or
 * ticked `- [x]` items).
 */
export const HeartbeatCondition = z.union([
  z.strictObject({ fileChanged: z.string().min(1).max(500) }),
  z.strictObject({ fileNotEmpty: z.string().min(1).max(500) }),
]);
/** See {@link HeartbeatCondition}. */
export type HeartbeatCondition = z.infer<typeof HeartbeatCondition>;

/**
 * The heartbeat (`heartbeat:` in agentd.yaml): a recurring check-in, every `everyMs` (default 30 minutes) or on
 * `cron`. Each time it runs a cheap check first, without the model: any of `conditions` true, or (without
 * conditions) `promptFile` (default `HEARTBEAT.md`) has something in it. Only then the model is asked, with the
 * file as instructions, and told to answer exactly {@link HEARTBEAT_SILENT_REPLY} when nothing needs saying:
 * that reply sends nothing. Results go to `deliverTo`.
 */
export const HeartbeatConfig = z.strictObject({
  enabled: z.boolean().default(true),
  everyMs: z.number().int().min(MIN_EVERY_MS).optional(),
  cron: z.string().min(1).max(200).optional(),
  timezone: z.string().optional(),
  promptFile: z.string().min(1).max(500).default(DEFAULT_HEARTBEAT_PROMPT_FILE),
  conditions: z.array(HeartbeatCondition).max(20).optional(),
  deliverTo: DeliverToField.optional(),
  maxSteps: z.number().int().min(1).max(100).optional(),
  timeoutMs: z.number().int().min(1000).max(3_600_000).optional(),
}).refine((v) => !(v.everyMs !== undefined && v.cron !== undefined), { message: "give everyMs or cron, not both", path: ["cron"] });
/** See {@link HeartbeatConfig}. */
export type HeartbeatConfig = z.output<typeof HeartbeatConfig>;

/** `schedules:` in agentd.yaml: jobs by name (letters, digits, `.`, `_`, `-`). */
export const SchedulesConfig = z.record(z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/, "letters, digits, '.', '_' or '-', at most 64"), ScheduleConfig);
