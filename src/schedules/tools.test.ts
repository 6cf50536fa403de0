import { afterEach, describe, expect, it } from "vitest";
import { scheduleTools } from "./tools.js";
import { scheduleFixture } from "./test-support.js";
import type { ToolContext } from "../agent/tools/tool.js";

const fixtures: Array<ReturnType<typeof scheduleFixture>> = [];
afterEach(() => {
  for (const f of fixtures.splice(0)) f.cleanup();
});

function setup() {
  const f = scheduleFixture();
  fixtures.push(f);
  const chats: Record<string, { platform: string; chatId: string }> = { "r-chat": { platform: "telegram", chatId: "42" } };
  const tools = Object.fromEntries(scheduleTools({ service: f.service, chatOf: (runId) => chats[runId], timeZone: () => "Europe/Berlin" }).map((t) => [t.name, t]));
  const ctx = (runId: string): ToolContext => ({ signal: new AbortController().signal, sessionId: "s", runId, logger: f.logger });
  return { ...f, tools, ctx };
}

describe("schedule tools", () => {
  it("schedule_create from a chat delivers to that chat and runs in its session; list and delete work", async () => {
    const t = setup();
    const out = await t.tools.schedule_create!.run({ name: "stretch", prompt: "Remind the user to stretch.", at: "2026-11-28T09:00:00" }, t.ctx("r-chat"));
    expect(out).toMatch(/^Scheduled "stretch" \(id j_[\w-]+\); next run 2026-11-28T08:00:00.000Z \(Europe\/Berlin\); delivered to telegram:42\.$/);
    const [row] = t.service.list();
    expect(t.service.toWire(row!)).toMatchObject({ source: "agent", session: "chat", deliverTo: [{ platform: "telegram", chatId: "42" }] });
    expect(await t.tools.schedule_list!.run({}, t.ctx("r-chat"))).toContain(`${row!.id} "stretch" [agent] at 2026-11-28T08:00:00.000Z`);
    expect(await t.tools.schedule_delete!.run({ id: row!.id }, t.ctx("r-chat"))).toBe(`Deleted "stretch" (${row!.id}).`);
    expect(await t.tools.schedule_list!.run({}, t.ctx("r-chat"))).toBe("(no scheduled jobs)");
  });

  it("from an API run (no chat) the job keeps its own session and no target", async () => {
    const t = setup();
    expect(await t.tools.schedule_create!.run({ name: "x", prompt: "p", cron: "0 9 * * 1-5" }, t.ctx("r-api"))).toContain("kept in its own session");
    expect(t.service.toWire(t.service.list()[0]!)).toMatchObject({ session: "own", deliverTo: [] });
  });

  it("tells the model what is wrong, creating nothing", async () => {
    const t = setup();
    const fail = (args: Record<string, unknown>) => t.tools.schedule_create!.run({ name: "x", prompt: "p", ...args }, t.ctx("r-chat"));
    await expect(fail({ at: "tomorrow at 9" })).rejects.toThrow(/at: .* neither an ISO 8601 time/);
    await expect(fail({ at: "in 5 minutes", cron: "* * * * *" })).rejects.toThrow(/exactly one of at, cron, everyMs/);
    await expect(fail({ everyMs: 1000 })).rejects.toThrow(/everyMs: at least 60000/);
    await expect(fail({ cron: "0 25 * * *" })).rejects.toThrow(/cron: /);
    expect(t.service.list()).toHaveLength(0);
  });
});
