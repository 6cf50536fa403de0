import { runDoctor } from "../doctor/doctor.js";
import type { CheckResult } from "../doctor/types.js";

const MARK = { ok: "✓", fail: "✗", skip: "–" } as const;

/** One check as the terminal shows it: mark, title, what was found, and an indented `fix:` line when it failed. */
export function formatCheck(c: CheckResult): string {
  return `${MARK[c.status]} ${c.title.padEnd(18)} ${c.message}\n${c.fix ? `  ${" ".repeat(19)}fix: ${c.fix}\n` : ""}`;
}

/**
 * `agentd doctor DIR [--json] [--paid]`: prints one line per check as it completes (or, with `--json`, one
 * `DoctorReport` object at the end). Returns the exit code: 0 when every check passed (skipped ones count as
 * passed), 1 otherwise.
 */
export async function doctorCommand(dir: string, opts: { json?: boolean; paid?: boolean } = {}): Promise<number> {
  const report = await runDoctor(dir, {
    paid: opts.paid === true,
    ...(opts.json ? {} : { onCheck: (c: CheckResult) => process.stdout.write(formatCheck(c)) }),
  });
  if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else {
    const failed = report.checks.filter((c) => c.status === "fail").length;
    process.stdout.write(failed === 0 ? "\nall checks passed\n" : `\n${failed} check${failed > 1 ? "s" : ""} failed\n`);
  }
  return report.ok ? 0 : 1;
}
