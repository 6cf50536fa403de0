import { z } from "zod";
import { defineRoute, queryInt } from "../gateway/router.js";
import { Delivery, DeliveryState, DeliveryAddress, MessageSendParams } from "../../protocol/deliveries.js";

const byId = z.strictObject({ id: z.string().min(1).max(64) });
const one = z.strictObject({ delivery: Delivery });

/** The outbox's REST routes (issue 11); each mirrors a `deliveries.*` / `messages.send` protocol method. */
export const deliveryRoutes = {
  list: defineRoute({ scope: ["read", "bridge"],
    method: "get", path: "/api/deliveries", tag: "deliveries",
    summary: "Deliveries (the outbox), newest first: filter by state (pending, sending, delivered, failed), platform, and since (ISO 8601 creation time).",
    query: z.strictObject({
      state: DeliveryState.optional(),
      platform: DeliveryAddress.shape.platform.optional(),
      since: z.iso.datetime({ offset: true }).optional(),
      limit: queryInt(1, 1000).default(100),
    }),
    response: z.strictObject({ deliveries: z.array(Delivery) }),
  }),
  get: defineRoute({ scope: ["read", "bridge"],
    method: "get", path: "/api/deliveries/{id}", tag: "deliveries",
    summary: "One delivery: address, text, state, attempts, last error, the platform's message ids.",
    params: byId, response: one, errors: [404],
  }),
  retry: defineRoute({ scope: "admin",
    method: "post", path: "/api/deliveries/{id}/retry", tag: "deliveries",
    summary: "Offer a failed delivery again (its attempts start over). A delivered one is 409.",
    params: byId, response: one, errors: [404, 409],
  }),
  attachment: defineRoute({ scope: "bridge",
    method: "get", path: "/api/deliveries/{id}/attachments/{index}", tag: "deliveries",
    summary: "The bytes of a delivery's file (index from 0), with its Content-Type: bridges fetch it to send it. 404 when the delivery, the file or the index is gone.",
    params: z.strictObject({ id: byId.shape.id, index: z.string().regex(/^\d{1,2}$/) }),
    raw: { response: "application/octet-stream" },
    response: z.unknown(), errors: [404],
  }),
  send: defineRoute({ scope: ["bridge"],
    method: "post", path: "/api/messages", tag: "deliveries",
    summary: "Post a message (markdown) to a chat through the outbox, e.g. from a script. 202 with the delivery; the same idempotencyKey (or Idempotency-Key header) returns the first one.",
    body: MessageSendParams.partial({ idempotencyKey: true }),
    response: z.strictObject({ delivery: Delivery, duplicate: z.boolean() }),
    status: 202, errors: [400],
  }),
};
