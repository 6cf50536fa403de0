import { z } from "zod";
import { defineTool, type Tool } from "../agent/tools/tool.js";
import { ScheduleCreate, type ScheduleTarget } from "../../protocol/schedules.js";
import { ValidationError } from "../errors.js";

/** Shortest interval the agent may schedule, in ms (one minute: a model should not make a job that floods a chat). */
export const MIN_AGENT_EVERY_MS = 60_000;
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
      description: "Schedule a reminder or task: once (`at`), recurring (`cron`) or every `everyMs`. Turn the user's words into one of them. Goes to this chat by default.",
      // a lean schema for the model (every request carries it); the full rules are checked in run()
      input: z.strictObject({
        name: z.string(),
        prompt: z.string().describe("What you will be asked then, e.g. \"Remind the user to stretch.\""),
        at: z.string().optional().describe("ISO 8601 time, or \"in 20 minutes\""),
        cron: z.string().optional().describe("5 fields, or 6 with seconds first"),
        everyMs: z.number().int().optional(),
        timezone: z.string().optional().describe("IANA; default: yours"),
        deliverTo: z.array(z.strictObject({ platform: z.string(), chatId: z.string(), threadId: z.string().optional() })).optional().describe("default: this chat"),
        session: z.enum(["chat", "own"]).optional().describe("chat (default from a chat) or own"),
      }),
      async run(args, ctx) {
        const chat = opts.chatOf(ctx.runId);
        if (args.everyMs !== undefined && args.everyMs < MIN_AGENT_EVERY_MS) throw new ValidationError(`everyMs: at least ${MIN_AGENT_EVERY_MS} (one minute)`, { path: "everyMs" });
        const parsed = ScheduleCreate.safeParse({ ...args, deliverTo: args.deliverTo ?? (chat ? [chat] : []), session: args.session ?? (chat && !args.deliverTo ? "chat" : "own") });
        if (!parsed.success) {
          const issue = parsed.error.issues[0]!;
          throw new ValidationError(`${issue.path.join(".") || "(root)"}: ${issue.message}`, { path: issue.path.join(".") });
        }
        const deliverTo = parsed.data.deliverTo ?? [];
        const row = service.create(parsed.data, "agent");
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
      input: z.strictObject({ id: z.string() }),
      async run({ id }) {
        const name = service.require(id).name;
        service.delete(id);
        return `Deleted "${name}" (${id}).`;
      },
    }),
  ];
}
