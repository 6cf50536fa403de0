import { z } from "zod";
import { defineMethod } from "./method-spec.js";

/** What `agent.info` and `GET /api/agent-info` return. `uptimeMs` in milliseconds. */
export const AgentInfo = z.strictObject({
  name: z.string(),
  dir: z.string(),
  port: z.number().int(),
  version: z.string(),
  model: z.string(),
  protocol: z.number().int(),
  pid: z.number().int(),
  uptimeMs: z.number().int(),
});
/** See {@link AgentInfo}. */
export type AgentInfo = z.infer<typeof AgentInfo>;

/** The agent methods of protocol version 1. */
export const agentMethods = {
  "agent.info": defineMethod({
    params: z.strictObject({}),
    result: AgentInfo,
    description: "Name, folder, port, version and active model of this agent.",
  }),
};
