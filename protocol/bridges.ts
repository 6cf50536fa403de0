import { z } from "zod";
import { defineMethod } from "./method-spec.js";

/**
 * A bridge the daemon supervises (`channels.<platform>.enabled: true`): `running` (its process is up), `waiting`
 * (a restart is scheduled after an exit), `failed` (it exited with a config error and is not restarted); `pid` of
 * the running process; `restarts` since the daemon started it. Bridges started by hand (`agentd bridge`) are not
 * listed: they are clients like any other.
 */
export const BridgeStatusSchema = z.strictObject({
  platform: z.string(),
  state: z.enum(["running", "waiting", "failed"]),
  pid: z.number().int().optional(),
  restarts: z.number().int().min(0),
});
/** See {@link BridgeStatusSchema}. */
export type BridgeStatus = z.infer<typeof BridgeStatusSchema>;

/** Protocol methods of the supervised bridges. `bridges.list` is the WS twin of `GET /api/bridges`. */
export const bridgeMethods = {
  "bridges.list": defineMethod({ scope: "read",
    params: z.strictObject({}),
    result: z.strictObject({ bridges: z.array(BridgeStatusSchema) }),
    description: "The bridges the daemon supervises and their state (running, waiting to restart, failed).",
    rest: { method: "get", path: "/api/bridges", tag: "channels", summary: "Supervised bridges: platform, state (running, waiting, failed), pid, restarts." },
  }),
};
