import { AgentdError } from "./errors.js";
import type { Feature, FeatureFactory, RunHooks, Services } from "./feature.js";
import { agentFeature } from "./agent/feature.js";
import { mcpFeature } from "./mcp/feature.js";
import { metricsFeature } from "./observability/feature.js";
import { channelsFeature } from "./channels/feature.js";
import { configFeature } from "./config/feature.js";
import { vaultFeature } from "./vault/feature.js";
import { deliveriesFeature } from "./deliveries/feature.js";
import { toolsFeature } from "./tools/feature.js";
import { approvalsFeature } from "./approvals/feature.js";
import { backupFeature } from "./backup/schedule.js";
import { schedulesFeature } from "./schedules/feature.js";

/**
 * The daemon's features. Each lives in its own folder and plugs in protocol handlers, tools, run hooks and
 * services through {@link FeatureFactory}. What depends on this order, and nothing else does:
 * - `start` runs in this order after the port is open, `stop` in reverse (the outbox of `deliveries` stops after
 *   every feature that enqueues into it);
 * - `onRunEnd` listeners run in this order at every run's end (titles, metrics, approvals' clean-up: each is
 *   independent of the others);
 * - the agent's tools are listed in this order (tool names are unique, so only the listing order follows it);
 * - the REST routes of each feature's methods are mounted, and listed in the OpenAPI document, in this order.
 */
export const FEATURES: FeatureFactory[] = [agentFeature, deliveriesFeature, metricsFeature, vaultFeature, toolsFeature, approvalsFeature, mcpFeature, channelsFeature, configFeature, schedulesFeature, backupFeature];

/** The run hooks of every feature, composed: what the runner calls. */
export type ComposedRunHooks = RunHooks & Required<Pick<RunHooks, "onRunEnd">>;

/**
 * Composes what the features declare: at most one provider of each of `price`, `compact`, `command` and of each
 * service, `onRunEnd` listeners in feature order. Throws an `internal` {@link AgentdError} at start-up when two
 * features provide the same hook or service, or when no feature provides a service the gateway needs.
 */
export function composeFeatures(features: readonly Feature[]): { runHooks: ComposedRunHooks; services: Services } {
  const merged: Record<string, unknown> = {};
  const by = new Map<string, string>();
  for (const f of features) {
    for (const [key, value] of Object.entries({ ...f.runHooks, ...f.provides, onRunEnd: undefined })) {
      if (value === undefined) continue;
      if (by.has(key)) throw new AgentdError("internal", `${key} is provided by both ${by.get(key)} and ${f.name}`);
      by.set(key, f.name);
      merged[key] = value;
    }
  }
  for (const key of ["metrics", "configWriter"]) if (!merged[key]) throw new AgentdError("internal", `no feature provides the service ${key}`);
  const listeners = features.flatMap((f) => (f.runHooks?.onRunEnd ? [f.runHooks.onRunEnd] : []));
  const onRunEnd: ComposedRunHooks["onRunEnd"] = (info) => listeners.forEach((listener) => listener(info));
  return { runHooks: { ...(merged as RunHooks), onRunEnd }, services: merged as unknown as Services };
}
