import { z } from "zod";
import { Delivery, MessageSendParams } from "../../../protocol/deliveries.js";
import type { DaemonContext } from "../../feature.js";
import { ValidationError } from "../../errors.js";
import { attachmentResponse } from "./delivery-attachment.js";
import { defineRoute, type Router } from "../router.js";

const byId = z.strictObject({ id: z.string().min(1).max(64) });

/**
 * The outbox's REST routes that are not a protocol method's mapping (issue 11): a delivery's file bytes, and
 * `POST /api/messages` (`messages.send` with its idempotency key optional or in the `Idempotency-Key` header).
 */
export const deliveryRoutes = {
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

/** Mounts the outbox's REST-only routes over `ctx.outbox` (the `Idempotency-Key` header is RFC draft-ietf-httpapi-idempotency-key-header). */
export function mountDeliveryRoutes(router: Router, ctx: Pick<DaemonContext, "dir" | "outbox">): void {
  const outbox = ctx.outbox;
  router
    .route(deliveryRoutes.attachment, ({ params }) => attachmentResponse(ctx.dir, outbox.get(params.id), Number(params.index)))
    .route(deliveryRoutes.send, ({ body, c }) => {
      const key = body.idempotencyKey ?? c.req.header("idempotency-key");
      if (key !== undefined && (key.length < 1 || key.length > 200)) throw new ValidationError("Idempotency-Key: 1 to 200 characters", { path: "idempotencyKey" });
      return outbox.enqueueOnce({ address: body.address, text: body.text, ...(key ? { idempotencyKey: key } : {}) });
    });
}
