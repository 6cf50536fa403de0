import { z } from "zod";
import { defineTool, type Tool } from "../agent/tools/tool.js";
import { ScheduleTarget } from "../../protocol/schedules.js";
import type { ScheduleService } from "./jobs.js";

/**
 * The agent's scheduling tools (issue 11): `schedule_create`, `schedule_list`, `schedule_delete`. The model turns
 * natural language ("tomorrow at 9", "every weekday at 8") into an ISO 8601 time (`at`), a cron expression
 * (`cron`) or an interval (`everyMs`); the daemon resolves and validates it. A job made from a chat delivers to
 * that chat and runs in its current session (the reminder is part of the conversation) unless `deliverTo` or
 * `session` say otherwise. `chatOf(runId)` gives the chat of the run calling the tool.
 */
export function scheduleTools(opts: { service: ScheduleService; chatOf: (runId: string) => ScheduleTarget | undefined; timeZone: () => string }): Tool[] {
  const { service } = opts;
  return [
    defineTool({
      name: "schedule_create",
      description:
        "Schedule a message or task for later: a reminder (`at`), a recurring job (`cron`) or a fixed interval (`everyMs`). " +
        "Resolve what the user said yourself: `at` is an ISO 8601 time (with offset, or local to the agent's time zone) or `in N seconds|minutes|hours|days|weeks`; " +
        "`cron` has 5 fields (minute hour day month weekday) or 6 (seconds first). `prompt` is what you will be asked at that time " +
        "(e.g. \"Remind the user to stretch.\"). The result is sent to the current chat unless `deliverTo` is given.",
      input: z.strictObject({
        name: z.string().trim().min(1).max(100).describe("Short name, e.g. \"stretch reminder\"."),
        prompt: z.string().trim().min(1).max(4000),
        at: z.string().max(100).optional().describe("ISO 8601 time (2026-11-28T09:00:00+01:00) or `in N minutes`."),
        cron: z.string().max(200).optional(),
        everyMs: z.number().int().min(60_000).optional().describe("Interval in milliseconds (at least one minute)."),
        timezone: z.string().max(64).optional().describe("IANA time zone; default: the agent's."),
        deliverTo: z.array(ScheduleTarget).max(10).optional(),
        session: z.enum(["chat", "own"]).optional().describe("`chat` (default from a chat): runs in this conversation, so the user can answer it; `own`: a separate session."),
      }),
      async run(args, ctx) {
        const chat = opts.chatOf(ctx.runId);
        const deliverTo = args.deliverTo ?? (chat ? [chat] : []);
        const row = service.create({ ...args, deliverTo, session: args.session ?? (chat && !args.deliverTo ? "chat" : "own") }, "agent");
        const w = service.toWire(row);
        const where = deliverTo.length > 0 ? `delivered to ${deliverTo.map((d) => `${d.platform}:${d.chatId}`).join(", ")}` : "kept in its own session (no chat to deliver to)";
        return `Scheduled "${w.name}" (id ${w.id}); next run ${w.nextRunAt ?? "never"} (${w.timezone}); ${where}.`;
      },
    }),
    defineTool({
      name: "schedule_list",
      description: "List scheduled jobs with their ids, schedules and next run times.",
      input: z.strictObject({}),
      async run() {
        const rows = service.list();
        if (rows.length === 0) return "(no scheduled jobs)";
        return rows.map((r) => {
          const w = service.toWire(r);
          const when = w.at ? `at ${w.at}` : w.cron ? `cron "${w.cron}" (${w.timezone})` : w.everyMs ? `every ${w.everyMs} ms` : w.kind;
          return `- ${w.id} "${w.name}" [${w.source}${w.enabled ? "" : ", disabled"}] ${when}; next: ${w.nextRunAt ?? "none"}`;
        }).join("\n");
      },
    }),
    defineTool({
      name: "schedule_delete",
      description: "Delete a scheduled job by id (jobs from agentd.yaml are changed in that file instead).",
      input: z.strictObject({ id: z.string().min(1).max(100) }),
      async run({ id }) {
        const name = service.require(id).name;
        service.delete(id);
        return `Deleted "${name}" (${id}).`;
      },
    }),
  ];
}
