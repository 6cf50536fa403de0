/** Outcome of one doctor check: `ok` passed, `fail` needs the user, `skip` does not apply (or could not run). */
export type CheckStatus = "ok" | "fail" | "skip";

/**
 * One line of `agentd doctor`: a stable `id` (`node`, `config`, `provider:openai`, `bridge:telegram`…), what was
 * checked (`title`), the outcome, what was found (`message`) and, when it failed, what to do (`fix`).
 */
export interface CheckResult {
  id: string;
  title: string;
  status: CheckStatus;
  message: string;
  fix?: string;
}

/** The whole report: `ok` is true only when no check failed (skipped ones do not count). */
export interface DoctorReport {
  dir: string;
  ok: boolean;
  checks: CheckResult[];
}

/** Builds a {@link CheckResult}. */
export const result = (id: string, title: string, status: CheckStatus, message: string, fix?: string): CheckResult => ({ id, title, status, message, ...(fix ? { fix } : {}) });
