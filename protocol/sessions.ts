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
  }),
  "sessions.create": defineMethod({
    scope: "chat",
    params: z.strictObject({ title: z.string().max(200).optional() }),
    result: z.strictObject({ session: Session }),
    description: "Create an empty session.",
    sideEffect: true,
  }),
};
