import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { z } from "zod";
import { Delivery, MessageSendParams } from "../../../protocol/deliveries.js";
import type { DaemonContext } from "../../feature.js";
import { NotFoundError, ValidationError } from "../../errors.js";
import { resolveAttachment } from "../../deliveries/attachments.js";
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

/**
 * The HTTP answer of `GET /api/deliveries/{id}/attachments/{index}`: the file streamed with its MIME type and
 * length. The path is resolved again (a file moved out of vault/, uploads/ or workspace/ since, or replaced by a
 * symlink leading outside, is refused). Throws `NotFoundError` for an unknown index or a file that is gone.
 */
export async function attachmentResponse(dir: string, delivery: Delivery, index: number): Promise<Response> {
  const a = delivery.attachments[index];
  if (!a) throw new NotFoundError(`delivery ${delivery.id} has no file ${index}`, { id: delivery.id });
  const resolved = await resolveAttachment(dir, a.path);
  const abs = `${dir}/${resolved.path}`;
  const size = (await stat(abs)).size;
  const body = Readable.toWeb(createReadStream(abs)) as ReadableStream<Uint8Array>;
  return new Response(body, {
    headers: {
      "content-type": a.mime,
      "content-length": String(size),
      "content-disposition": `attachment; filename*=UTF-8''${encodeURIComponent(a.name)}`,
      "cache-control": "no-store",
    },
  });
}
