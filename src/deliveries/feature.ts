import type { FeatureFactory } from "../feature.js";
import { AgentdError } from "../errors.js";
import { sendFileTool } from "./send-file.js";
import type { ChannelAddress } from "../../protocol/chat.js";
import type { DeliveryAddress } from "../../protocol/deliveries.js";

/**
 * The outbox feature (issue 11): the `deliveries.*` and `messages.send` protocol methods (their REST routes and the REST-only ones are in src/gateway),
 * and the lease/backoff sweep. Bridges subscribe over WebSocket (`deliveries.subscribe`, then `delivery.offer`
 * events until the connection closes). The {@link import("./outbox.js").Outbox} itself is `ctx.outbox`.
 */
export const deliveriesFeature: FeatureFactory = (ctx) => {
  const outbox = ctx.outbox;
  // one subscription per connection and platform: a bridge that subscribes again on the same connection is answered alike
  const subscribed = new WeakMap<AbortSignal, Set<string>>();
  const chatOf = (runId: string): DeliveryAddress | undefined => {
    const run = ctx.store.getRun(runId);
    const msg = run && ctx.store.getMessage(run.userMessageId);
    if (!msg?.channel) return undefined;
    const ch = msg.channel;
    return { platform: ch.platform, chatId: ch.chatId, ...(ch.threadId ? { threadId: ch.threadId } : {}) };
  };
  const tools = [sendFileTool({ dir: ctx.dir, outbox, chatOf })];
  return {
    name: "deliveries",
    tools: () => tools,
    handlers: (registry) => {
      registry
        .on("deliveries.subscribe", (params, call) => {
          if (!call.subscriber || !call.signal) throw new AgentdError("bad_request", "deliveries.subscribe needs a WebSocket connection (its offers are events)");
          const sink = call.subscriber;
          const platforms = subscribed.get(call.signal) ?? new Set<string>();
          subscribed.set(call.signal, platforms);
          if (platforms.has(params.platform)) return { open: outbox.openCount(params.platform) };
          platforms.add(params.platform);
          let seq = 0;
          return { open: outbox.subscribe(params.platform, (payload) => sink("delivery.offer", payload, ++seq), call.signal) };
        })
        .on("deliveries.ack", (params) => ({ delivery: outbox.ack(params.id, params.platformMessageIds, params.complete) }))
        .on("deliveries.fail", (params) => ({ delivery: outbox.fail(params.id, params.reason, params.retryable) }))
        .on("deliveries.list", (params) => ({ deliveries: outbox.list(params) }))
        .on("deliveries.get", (params) => ({ delivery: outbox.get(params.id) }))
        .on("deliveries.retry", (params) => ({ delivery: outbox.retry(params.id) }))
        .on("messages.send", (params) => outbox.enqueueOnce(params));
    },
    start: () => outbox.start(),
    stop: async () => outbox.stop(),
  };
};
