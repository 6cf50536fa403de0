import { z } from "zod";
import type { DaemonContext } from "../../feature.js";
import { defineRoute, queryInt, type Router } from "../router.js";

/** A log level, lowest first (pino's labels). */
export const LogLevel = z.enum(["trace", "debug", "info", "warn", "error", "fatal"]);

/** One recent log event: ISO 8601 `time`, `level`, the `component` that logged it and its (redacted) `message`. */
export const LogEntry = z.strictObject({ time: z.string(), level: LogLevel, component: z.string(), message: z.string() });

/** Query of `GET /api/logs`: minimum `level`, `since` (ISO 8601 date-time, inclusive) and `limit` (1–1000). */
export const LogsQuery = z.strictObject({
  level: LogLevel.optional().describe("only events at or above this level"),
  since: z.iso.datetime({ offset: true }).optional().describe("only events at or after this time, e.g. 2025-01-31T12:00:00Z"),
  limit: queryInt(1, 1000).optional().describe("at most this many, newest first (default: all kept, up to 1000)"),
});

/** `GET /api/logs` and `DELETE /api/logs`. */
export const logsRoutes = {
  list: defineRoute({
    method: "get", path: "/api/logs", scope: "admin", tag: "ops", summary: "Recent log events, newest first (bounded in memory; secrets redacted).",
    query: LogsQuery, response: z.strictObject({ entries: z.array(LogEntry) }),
  }),
  clear: defineRoute({
    method: "delete", path: "/api/logs", scope: "admin", tag: "ops", summary: "Forget the recent log events kept in memory (logs/agentd.log is kept).",
    response: z.strictObject({ cleared: z.number().int().describe("how many events were forgotten") }),
  }),
};

/**
 * Mounts the log routes over the daemon's in-memory `LogBuffer` (the last 1 000 events, fed by the
 * logger). `since` accepts any UTC offset and is compared as an instant.
 */
export function mountLogRoutes(router: Router, { logBuffer: buffer }: Pick<DaemonContext, "logBuffer">): void {
  router
    .route(logsRoutes.list, ({ query }) => ({
      entries: buffer.list({
        ...(query.level ? { level: query.level } : {}),
        ...(query.since ? { since: new Date(query.since).toISOString() } : {}),
        ...(query.limit ? { limit: query.limit } : {}),
      }),
    }))
    .route(logsRoutes.clear, () => {
      const cleared = buffer.list().length;
      buffer.clear();
      return { cleared };
    });
}
