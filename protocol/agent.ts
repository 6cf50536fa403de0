import { z } from "zod";
import { defineMethod } from "./method-spec.js";
import { ANY_SCOPE } from "./scopes.js";

/** Longest text one `memory.append` (and the agent's `memory_append` tool) takes, in characters. */
export const MEMORY_ENTRY_MAX_CHARS = 2000;

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
    scope: ANY_SCOPE,
    params: z.strictObject({}),
    result: AgentInfo,
    description: "Name, folder, port, version and active model of this agent.",
    rest: { method: "get", path: "/api/agent-info", tag: "agent", summary: "Name, folder, port, version and model of the agent." },
  }),
  "memory.append": defineMethod({
    scope: "vault",
    params: z.strictObject({ text: z.string().trim().min(1).max(MEMORY_ENTRY_MAX_CHARS) }),
    result: z.strictObject({ line: z.string().describe("the line added to MEMORY.md, with its time stamp") }),
    description: "Append one time-stamped entry to the agent's long-term memory (MEMORY.md); the agent sees it from its next turn.",
    sideEffect: true,
    rest: { method: "post", path: "/api/memory", tag: "agent", status: 201, summary: "Append one time-stamped entry to the agent's long-term memory (MEMORY.md); the agent sees it from its next turn." },
  }),
};
