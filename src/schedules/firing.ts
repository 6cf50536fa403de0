import type { Logger } from "pino";
import type { FiringRow, ScheduleQueries, ScheduleRow } from "../store/schedule-queries.js";
import type { ScheduleTarget } from "../../protocol/schedules.js";
import { backoffDelayMs } from "../../protocol/backoff.js";
import { HEARTBEAT_SILENT_REPLY } from "../config/sections/schedules.js";

/** Starts of the daemon that may resume one firing (3); the next one ends it `failed` and reports it once. */
export const MAX_FIRING_RESUMES = 3;

/** Longest delay between two attempts of a failing firing, in ms (10 minutes). */
export const MAX_RETRY_DELAY_MS = 600_000;

/** How one run of a job ended: the runner's final status and text, the error message, and whether our time limit stopped it. */
export interface JobRunResult {
  runId: string;
  status: "ok" | "max_steps" | "aborted" | "error" | "ignored" | "interrupted";
  text: string;
  error?: string | undefined;
  timedOut?: boolean | undefined;
}

/** What executing a firing needs from the daemon (the feature wires the runner, the outbox and the sessions). */
export interface FiringDeps {
  queries: ScheduleQueries;
  logger: Logger;
  /** Runs `text` in `sessionId` under `idempotencyKey` (a resend of the same key re-attaches or re-runs an interrupted run) with the limits. */
  runJob(input: { text: string; idempotencyKey: string; sessionId: string; maxSteps?: number | undefined; timeoutMs: number }): Promise<JobRunResult>;
  /** Writes one message to the outbox; the same `idempotencyKey` returns the first row. Returns the delivery id. */
  deliver(input: { address: ScheduleTarget; text: string; runId?: string | undefined; idempotencyKey: string }): string;
  /** The session a run of `job` goes to (its own, created on first use, or the current one of its chat). */
  sessionFor(job: ScheduleRow): string;
  /** The heartbeat's cheap check: the prompt to wake the model with, or undefined when there is nothing to look at. */
  heartbeatPrompt?(job: ScheduleRow, previousStartMs: number | undefined): Promise<string | undefined>;
  /** True once the daemon is stopping: an aborted run is then left to resume at the next start. */
  shuttingDown(): boolean;
  /** Waits `ms` (resolves early when the daemon stops). */
  sleep(ms: number): Promise<void>;
  /** Time zone formatting of due times in prompts. */
  formatDue(ms: number, timeZone: string): string;
}

const failureOf = (r: JobRunResult, job: ScheduleRow) =>
  r.timedOut ? `the run took longer than ${job.timeoutMs} ms` : r.status === "max_steps" ? `the run stopped after ${job.maxSteps ?? "the maximum"} tool steps without an answer` : (r.error ?? `the run ended with status ${r.status}`);

/**
 * Executes one claimed firing (issue 11): the heartbeat's cheap check first; then attempt after attempt, each a run
 * with the idempotency key `schedule:<firing>:<attempt>` (so a crash mid-run resumes the same run, never a second
 * one for the same due time), with the job's time and step limits. Success: the final text is written to the
 * outbox once per target (key `schedule:<firing>:<target index>`), unless it is the heartbeat's
 * {@link HEARTBEAT_SILENT_REPLY}. Failure: retried after `retryInitialMs`, doubled per attempt (at most
 * {@link MAX_RETRY_DELAY_MS}), up to `maxAttempts`; then one report per target. Never throws: an unexpected error
 * ends the firing `failed` with its message.
 */
export async function executeFiring(deps: FiringDeps, job: ScheduleRow, firing: FiringRow): Promise<void> {
  try {
    await fire(deps, job, firing);
  } catch (err) {
    // a bug or a refused write (the outbox refusing a text, the heartbeat file outside the folder): the firing
    // ends `failed` with the reason instead of staying `running` and being resumed at every start
    deps.logger.error({ err, scheduleId: job.id, firingId: firing.id }, "a scheduled firing failed");
    if (deps.shuttingDown()) return;
    try {
      deps.queries.updateFiring(firing.id, { status: "failed", error: (err as Error)?.message ?? String(err), finishedAt: Date.now() });
    } catch {
      /* the database refuses writes: the firing is resumed at the next start */
    }
  }
}

async function fire(deps: FiringDeps, job: ScheduleRow, firing: FiringRow): Promise<void> {
  const q = deps.queries;
  const log = deps.logger.child({ scheduleId: job.id, firingId: firing.id });
  const targets = job.deliverTo;
  const end = (set: Partial<FiringRow>) => q.updateFiring(firing.id, { finishedAt: Date.now(), ...set });
  if (firing.resumes > MAX_FIRING_RESUMES) {
    // the daemon died during this firing again and again (maybe because of it): give up, and say so once
    const error = `the daemon stopped during this firing ${firing.resumes} times; it is not run again`;
    const ids = targets.map((address, i) => deps.deliver({ address, text: `Scheduled job "${job.name}" failed: ${error}`, idempotencyKey: `schedule:${firing.id}:report:${i}` }));
    log.error({ resumes: firing.resumes }, "scheduled firing given up after repeated crashes");
    end({ status: "failed", error, deliveryIds: ids });
    return;
  }
  let text = `[Scheduled job "${job.name}", due ${deps.formatDue(firing.dueAt, job.timezone)}]\n${job.prompt}`;
  if (job.kind === "heartbeat") {
    const previous = q.firings(job.id, 2).find((f) => f.id !== firing.id)?.startedAt;
    const prompt = await deps.heartbeatPrompt?.(job, previous);
    if (prompt === undefined && firing.attempts === 0) {
      end({ status: "skipped" });
      return;
    }
    // a resumed heartbeat re-attaches to its run by key: the text only matters if the run was never stored
    text = prompt ?? `Heartbeat: nothing new to look at. Answer exactly ${HEARTBEAT_SILENT_REPLY}.`;
  }
  let sessionId: string;
  try {
    sessionId = deps.sessionFor(job);
  } catch (err) {
    log.error({ err }, "no session for the scheduled job");
    end({ status: "failed", error: (err as Error).message });
    return;
  }
  // a resumed firing sends its last attempt's key again: the runner re-runs it if a crash interrupted it
  let attempt = Math.max(1, firing.attempts);
  let lastError = "";
  for (;;) {
    q.updateFiring(firing.id, { attempts: attempt });
    let result: JobRunResult;
    try {
      result = await deps.runJob({ text, idempotencyKey: `schedule:${firing.id}:${attempt}`, sessionId, maxSteps: job.maxSteps ?? undefined, timeoutMs: job.timeoutMs });
    } catch (err) {
      if (deps.shuttingDown()) return; // resumed at the next start
      result = { runId: "", status: "error", text: "", error: (err as Error).message };
    }
    if (result.runId) q.updateFiring(firing.id, { runId: result.runId });
    if (result.status === "ok" || result.status === "ignored") {
      const reply = result.text.trim();
      if (job.kind === "heartbeat" && (reply === HEARTBEAT_SILENT_REPLY || reply === "")) {
        end({ status: "silent" });
        return;
      }
      const ids = reply ? targets.map((address, i) => deps.deliver({ address, text: result.text, runId: result.runId, idempotencyKey: `schedule:${firing.id}:${i}` })) : [];
      end({ status: "ok", deliveryIds: ids, error: null });
      log.debug({ deliveries: ids.length }, "firing delivered");
      return;
    }
    if ((result.status === "aborted" || result.status === "interrupted") && !result.timedOut) {
      if (deps.shuttingDown()) {
        // the stop aborted this attempt's run: the next start resumes the firing with a fresh attempt
        q.updateFiring(firing.id, { attempts: attempt + 1 });
        return;
      }
      end({ status: "failed", error: "the run was stopped by a user" });
      return;
    }
    lastError = failureOf(result, job);
    if (attempt >= job.maxAttempts) break;
    const delayMs = backoffDelayMs(attempt - 1, { initialMs: job.retryInitialMs, maxMs: MAX_RETRY_DELAY_MS });
    log.warn({ attempt, delayMs, error: lastError }, "scheduled job failed; retrying");
    await deps.sleep(delayMs);
    if (deps.shuttingDown()) return;
    attempt++;
  }
  const report = `Scheduled job "${job.name}" failed after ${attempt} attempt${attempt === 1 ? "" : "s"}: ${lastError}`;
  const ids = targets.map((address, i) => deps.deliver({ address, text: report, idempotencyKey: `schedule:${firing.id}:report:${i}` }));
  log.warn({ attempts: attempt, error: lastError }, "scheduled job failed; reported");
  end({ status: "failed", error: lastError, deliveryIds: ids });
}
