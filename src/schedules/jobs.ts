import { ConflictError, NotFoundError, ValidationError } from "../errors.js";
import { newId } from "../store/ids.js";
import type { FiringRow, ScheduleQueries, ScheduleRow } from "../store/schedule-queries.js";
import {
  DEFAULT_JOB_MAX_ATTEMPTS, DEFAULT_JOB_RETRY_INITIAL_MS, DEFAULT_JOB_TIMEOUT_MS,
  type Firing, type Schedule, type ScheduleCreate, type ScheduleUpdate,
} from "../../protocol/schedules.js";
import { isTimeZone, nextDue, resolveAt, parseCron, whenOf, type When } from "../config/sections/schedule-timing.js";

/** Id of the heartbeat job (there is at most one, from `heartbeat:` in agentd.yaml). */
export const HEARTBEAT_JOB_ID = "heartbeat";
/** Id prefix of jobs from `schedules:` in agentd.yaml: `cfg_<name>`. */
export const CONFIG_JOB_PREFIX = "cfg_";

const iso = (ms: number) => new Date(ms).toISOString();

/** Converts a stored firing to its wire shape. */
export function toWireFiring(f: FiringRow): Firing {
  return {
    id: f.id, scheduleId: f.scheduleId, dueAt: iso(f.dueAt), trigger: f.trigger, status: f.status, attempts: f.attempts,
    runId: f.runId, error: f.error, deliveryIds: f.deliveryIds, startedAt: iso(f.startedAt),
    finishedAt: f.finishedAt === null ? null : iso(f.finishedAt),
  };
}

/** The stored `kind` and `spec` of a job's schedule. */
function specOf(when: When): Pick<ScheduleRow, "kind" | "spec"> {
  if (when.kind === "at") return { kind: "at", spec: String(when.atMs) };
  if (when.kind === "every") return { kind: "every", spec: String(when.everyMs) };
  return { kind: "cron", spec: when.cron };
}

/**
 * Resolves the `at`/`cron`/`everyMs` of a request into a {@link When} at `nowMs`, validating the time zone and the
 * cron expression. Returns undefined when none is given. Throws {@link ValidationError} naming the field; a
 * one-shot instant in the past is refused (`details.path` = `at`).
 */
export function resolveWhen(input: { at?: string | undefined; cron?: string | undefined; everyMs?: number | undefined }, timeZone: string, nowMs: number): When | undefined {
  if (!isTimeZone(timeZone)) throw new ValidationError(`timezone: "${timeZone}" is not an IANA time zone (e.g. Europe/Berlin)`, { path: "timezone" });
  if (input.at !== undefined) {
    const atMs = resolveAt(input.at, timeZone, nowMs);
    if (atMs <= nowMs - 1000) throw new ValidationError(`at: ${iso(atMs)} is in the past (now is ${iso(nowMs)})`, { path: "at" });
    return { kind: "at", atMs: Math.max(atMs, nowMs) };
  }
  if (input.cron !== undefined) {
    parseCron(input.cron, timeZone);
    return { kind: "cron", cron: input.cron };
  }
  if (input.everyMs !== undefined) return { kind: "every", everyMs: input.everyMs };
  return undefined;
}

/**
 * The jobs of an agent (issue 11): create, change, delete and list them, with validation, the wire shape, and the
 * sync of `config` jobs with agentd.yaml. Knows nothing of timers: {@link ScheduleService.onChange} tells the
 * engine to re-arm after each change.
 */
export class ScheduleService {
  /** Called after every change of a job (the engine re-arms its timer). */
  onChange: () => void = () => {};

  constructor(private readonly deps: { queries: ScheduleQueries; defaultTimeZone: () => string; now?: () => number }) {}

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  /** A job's wire shape, with its last firing. */
  toWire(row: ScheduleRow): Schedule {
    const when = whenOf(row.kind, row.spec);
    const last = this.deps.queries.firings(row.id, 1)[0];
    return {
      id: row.id, name: row.name, source: row.source, kind: row.kind,
      ...(when.kind === "at" ? { at: iso(when.atMs) } : when.kind === "cron" ? { cron: when.cron } : { everyMs: when.everyMs }),
      timezone: row.timezone, prompt: row.prompt, deliverTo: row.deliverTo, session: row.session,
      sessionId: row.sessionId, catchUp: row.catchUp, enabled: row.enabled, ...(row.maxSteps !== null ? { maxSteps: row.maxSteps } : {}),
      timeoutMs: row.timeoutMs, maxAttempts: row.maxAttempts, retryInitialMs: row.retryInitialMs,
      nextRunAt: row.enabled && row.nextDueAt !== null ? iso(row.nextDueAt) : null, lastFiring: last ? toWireFiring(last) : null,
      createdAt: iso(row.createdAt), updatedAt: iso(row.updatedAt),
    };
  }

  /** A job by id; throws {@link NotFoundError} when there is none. */
  require(id: string): ScheduleRow {
    const row = this.deps.queries.get(id);
    if (!row) throw new NotFoundError(`no schedule ${id}`, { scheduleId: id });
    return row;
  }

  /** Every job, oldest first. */
  list(): ScheduleRow[] {
    return this.deps.queries.list();
  }

  /** Creates a job (`source` `api` or `agent`). Throws {@link ValidationError} for a bad time, cron expression or time zone. */
  create(input: ScheduleCreate, source: "api" | "agent", extra: { sessionId?: string } = {}): ScheduleRow {
    const now = this.now();
    const timezone = input.timezone ?? this.deps.defaultTimeZone();
    const when = resolveWhen(input, timezone, now)!;
    const row: ScheduleRow = {
      id: newId("j"), name: input.name, source, ...specOf(when), timezone, prompt: input.prompt,
      deliverTo: input.deliverTo ?? [], session: input.session ?? "own", sessionId: extra.sessionId ?? null,
      catchUp: input.catchUp ?? "once", enabled: input.enabled ?? true, maxSteps: input.maxSteps ?? null,
      timeoutMs: input.timeoutMs ?? DEFAULT_JOB_TIMEOUT_MS, maxAttempts: input.maxAttempts ?? DEFAULT_JOB_MAX_ATTEMPTS,
      retryInitialMs: input.retryInitialMs ?? DEFAULT_JOB_RETRY_INITIAL_MS, check: null, configJson: null,
      nextDueAt: nextDue(when, timezone, now - 1, now), createdAt: now, updatedAt: now,
    };
    this.deps.queries.insert(row);
    this.onChange();
    return row;
  }

  /**
   * Changes a job made over the API or by the agent. A new `at`/`cron`/`everyMs` (or time zone, or re-enabling)
   * recomputes the next due time. Throws {@link NotFoundError}, {@link ConflictError} for a `config` job (edit
   * agentd.yaml), {@link ValidationError} for bad values.
   */
  update(id: string, patch: ScheduleUpdate): ScheduleRow {
    const row = this.require(id);
    if (row.source === "config") throw new ConflictError(`schedule ${id} comes from agentd.yaml; change it there`, { scheduleId: id });
    const now = this.now();
    const timezone = patch.timezone ?? row.timezone;
    const when = resolveWhen(patch, timezone, now) ?? whenOf(row.kind, row.spec);
    const set: Partial<ScheduleRow> = {
      ...specOf(when), timezone,
      ...(patch.name !== undefined ? { name: patch.name } : {}), ...(patch.prompt !== undefined ? { prompt: patch.prompt } : {}),
      ...(patch.deliverTo !== undefined ? { deliverTo: patch.deliverTo } : {}),
      ...(patch.session !== undefined ? { session: patch.session } : {}), ...(patch.catchUp !== undefined ? { catchUp: patch.catchUp } : {}),
      ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}), ...(patch.maxSteps !== undefined ? { maxSteps: patch.maxSteps } : {}),
      ...(patch.timeoutMs !== undefined ? { timeoutMs: patch.timeoutMs } : {}), ...(patch.maxAttempts !== undefined ? { maxAttempts: patch.maxAttempts } : {}),
      ...(patch.retryInitialMs !== undefined ? { retryInitialMs: patch.retryInitialMs } : {}),
    };
    const rescheduled = patch.at !== undefined || patch.cron !== undefined || patch.everyMs !== undefined || patch.timezone !== undefined || (patch.enabled === true && !row.enabled);
    if (rescheduled) set.nextDueAt = nextDue(when, timezone, now - 1, now);
    this.deps.queries.update(id, set);
    this.onChange();
    return this.require(id);
  }

  /** Deletes a job made over the API or by the agent. Throws {@link NotFoundError}, or {@link ConflictError} for a `config` job. */
  delete(id: string): void {
    const row = this.require(id);
    if (row.source === "config") throw new ConflictError(`schedule ${id} comes from agentd.yaml; remove it there`, { scheduleId: id });
    this.deps.queries.delete(id);
    this.onChange();
  }

  /**
   * Makes the `config` jobs match agentd.yaml: `entries` are the wanted rows (id, schedule, settings). An entry whose
   * JSON is unchanged keeps its row (and its next due time, so a reload never re-fires or skips); a changed one is
   * rewritten and rescheduled; config rows without an entry are deleted with their firings.
   */
  syncConfig(entries: Array<{ id: string; name: string; json: string; build: (now: number) => Omit<ScheduleRow, "id" | "name" | "source" | "configJson" | "createdAt" | "updatedAt" | "sessionId"> }>): void {
    const now = this.now();
    const wanted = new Set(entries.map((e) => e.id));
    for (const row of this.deps.queries.list()) {
      if (row.source === "config" && !wanted.has(row.id)) this.deps.queries.delete(row.id);
    }
    for (const e of entries) {
      const existing = this.deps.queries.get(e.id);
      if (existing && existing.configJson === e.json) continue;
      const built = e.build(now);
      if (existing) this.deps.queries.update(e.id, { ...built, name: e.name, configJson: e.json });
      else this.deps.queries.insert({ ...built, id: e.id, name: e.name, source: "config", configJson: e.json, sessionId: null, createdAt: now, updatedAt: now });
    }
    this.onChange();
  }
}
