import { z } from "zod";
import { defineMethod } from "./method-spec.js";

/** A session (a conversation). Times are ISO 8601 UTC strings. */
export const Session = z.strictObject({
  id: z.string(),
  title: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  messageCount: z.number().int().min(0),
});
/** See {@link Session}. */
export type Session = z.infer<typeof Session>;

/** The session methods of protocol version 1. */
export const sessionMethods = {
  "sessions.list": defineMethod({
    scope: ["chat", "read"],
    params: z.strictObject({ limit: z.number().int().min(1).max(1000).default(50) }),
    result: z.strictObject({ sessions: z.array(Session) }),
    description: "Sessions, most recently active first.",
    rest: { method: "get", path: "/api/sessions", tag: "sessions", summary: "Sessions, most recently active first (a `chat`-only token sees the sessions it created)." },
  }),
  "sessions.create": defineMethod({
    scope: "chat",
    params: z.strictObject({ title: z.string().max(200).optional() }),
    result: z.strictObject({ session: Session }),
    description: "Create an empty session.",
    sideEffect: true,
    rest: { method: "post", path: "/api/sessions", tag: "sessions", summary: "Create an empty session.", status: 201 },
  }),
  "sessions.rename": defineMethod({ scope: "chat",
    params: z.strictObject({ sessionId: z.string().min(1).max(64), title: z.string().trim().min(1).max(200) }),
    result: z.strictObject({ session: Session }),
    description: "Give a session a title (1..200 characters); `not_found` for an unknown session.",
    sideEffect: true,
    rest: { method: "patch", path: "/api/sessions/{id}", pathParams: { id: "sessionId" }, tag: "sessions", summary: "Rename a session.", errors: [400, 404] },
  }),
  "sessions.delete": defineMethod({ scope: "chat",
    params: z.strictObject({ sessionId: z.string().min(1).max(64) }),
    result: z.strictObject({ sessionId: z.string(), deleted: z.literal(true) }),
    description: "Delete a session with its messages and channel bindings (usage stays counted); `conflict` while a reply runs, `not_found` for an unknown session.",
    sideEffect: true,
    rest: { method: "delete", path: "/api/sessions/{id}", pathParams: { id: "sessionId" }, tag: "sessions", summary: "Delete a session with its messages (409 while a reply runs).", errors: [404, 409] },
  }),
};
