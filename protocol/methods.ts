import type { z } from "zod";
import { chatMethods } from "./chat.js";
import { sessionMethods } from "./sessions.js";
import { agentMethods } from "./agent.js";
import { vaultMethods } from "./vault.js";
import { mcpMethods } from "./mcp.js";
import { usageMethods } from "./usage.js";
import { bridgeMethods } from "./bridges.js";
import { scheduleMethods } from "./schedules.js";
import { deliveryMethods } from "./deliveries.js";
import { toolsMethods } from "./tools.js";
import { approvalMethods } from "./approvals.js";

/** The method registry of protocol version 1: each method's params and result schemas (DESIGN.md §3). */
export const methods = {
  ...chatMethods,
  ...sessionMethods,
  ...agentMethods,
  ...vaultMethods,
  ...mcpMethods,
  ...usageMethods,
  ...bridgeMethods,
  ...scheduleMethods,
  ...deliveryMethods,
  ...toolsMethods,
  ...approvalMethods,
};
/** Name of a protocol method. */
export type MethodName = keyof typeof methods;
/** Params a caller passes to method `M` (defaults not yet applied). */
export type ParamsIn<M extends MethodName> = z.input<(typeof methods)[M]["params"]>;
/** Params a handler receives for method `M` (validated, defaults applied). */
export type Params<M extends MethodName> = z.output<(typeof methods)[M]["params"]>;
/** Result of method `M`. */
export type Result<M extends MethodName> = z.output<(typeof methods)[M]["result"]>;
