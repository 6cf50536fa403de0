import type { ApprovalRow } from "../store/approval-queries.js";

/** Longest subject shown in a chat prompt, in characters (the whole call is in `GET /api/approvals`). */
export const PROMPT_SUBJECT_MAX_CHARS = 1_000;

const minutes = (ms: number) => (ms % 60_000 === 0 ? `${ms / 60_000} minute${ms === 60_000 ? "" : "s"}` : `${Math.round(ms / 1000)} seconds`);

/**
 * The chat prompt of an approval request (markdown): what the agent wants to run, the short code (for chats
 * without buttons: `/approve CODE`, `/always CODE`, `/deny CODE`) and when it expires.
 */
export function approvalPrompt(row: ApprovalRow, timeoutMs: number): string {
  const shown = row.subject.length > PROMPT_SUBJECT_MAX_CHARS ? `${row.subject.slice(0, PROMPT_SUBJECT_MAX_CHARS)}…` : row.subject;
  return [
    `Approval needed: the agent wants to use **${row.tool}**:`,
    "```",
    shown.replace(/```/g, "`\u200b``"),
    "```",
    `Approve once, always allow ${row.grantPattern === "*" ? `${row.tool}` : "this exact call"}, or deny. Without buttons, reply /approve ${row.code}, /always ${row.code} or /deny ${row.code}. Expires in ${minutes(timeoutMs)}.`,
  ].join("\n");
}

/** The chat notice once a request is settled (everyone in the chat sees it was answered). */
export function decisionNotice(row: ApprovalRow): string {
  if (row.state === "expired") return `Approval ${row.code} expired: nobody answered, so ${row.tool} was not run.`;
  if (row.state === "denied") return `Approval ${row.code} denied (${row.decidedBy}): ${row.tool} was not run.`;
  return `Approval ${row.code} ${row.decision === "always" ? "granted for good" : "approved"} (${row.decidedBy}): running ${row.tool}.`;
}
