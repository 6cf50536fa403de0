import { z } from "zod";
import { defineEvent, defineMethod } from "./method-spec.js";

/**
 * Where an outgoing message goes (issue 11): a chat on a platform, optionally a thread (Telegram forum topic,
 * Discord thread) and the platform message id it answers (`replyTo`). The same `(platform, chatId, threadId)`
 * as the {@link import("./chat.js").ChannelAddress} of incoming messages.
 */
export const DeliveryAddress = z.strictObject({
  platform: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/),
  chatId: z.string().min(1).max(128),
  threadId: z.string().min(1).max(128).optional(),
  replyTo: z.string().min(1).max(128).optional(),
});
/** See {@link DeliveryAddress}. */
export type DeliveryAddress = z.infer<typeof DeliveryAddress>;

/**
 * A delivery's state: `pending` (waiting for a bridge), `sending` (offered to a bridge, not yet acknowledged),
 * `delivered` (acknowledged with the platform's message ids) or `failed` (gave up after the attempts, or refused
 * for good; `lastError` says why). `pending → sending → delivered | failed`; a retry puts a failed one back to pending.
 */
export const DeliveryState = z.enum(["pending", "sending", "delivered", "failed"]);
/** See {@link DeliveryState}. */
export type DeliveryState = z.infer<typeof DeliveryState>;

/**
 * A button under a delivered message (issue 13: Approve once / Always / Deny). `data` is what the bridge gets back
 * when it is pressed (at most 64 bytes: Telegram's `callback_data` limit); bridges without buttons show the text only.
 */
export const DeliveryButton = z.strictObject({ text: z.string().min(1).max(64), data: z.string().min(1).max(64) });
/** See {@link DeliveryButton}. */
export type DeliveryButton = z.infer<typeof DeliveryButton>;

/** Longest text of one delivery, in characters (bridges split it into the platform's message size). */
export const DELIVERY_MAX_CHARS = 100_000;

/**
 * How a bridge sends a file (issue 12): `image` (Telegram sendPhoto, WhatsApp image), `voice` (a voice note:
 * Telegram sendVoice, OGG/Opus), `audio`, `video`, or `document` (anything else). Derived from the MIME type
 * when the file is attached; `voice` is asked for explicitly (voice replies).
 */
export const AttachmentKind = z.enum(["image", "voice", "audio", "video", "document"]);
/** See {@link AttachmentKind}. */
export type AttachmentKind = z.infer<typeof AttachmentKind>;

/**
 * A file sent with a delivery (issue 12), after its text. `path` is relative to the agent folder (under `vault/`,
 * `uploads/` or `workspace/`); `name` the file name shown in the chat; `bytes` its size when attached. A bridge
 * fetches the bytes from `GET /api/deliveries/{id}/attachments/{index}` (bearer token, verified endpoint).
 */
export const DeliveryAttachment = z.strictObject({
  path: z.string().min(1).max(1024),
  name: z.string().min(1).max(255),
  mime: z.string().min(1).max(255),
  bytes: z.number().int().min(0),
  kind: AttachmentKind,
});
/** See {@link DeliveryAttachment}. */
export type DeliveryAttachment = z.infer<typeof DeliveryAttachment>;

/** Most files one delivery carries. */
export const DELIVERY_MAX_ATTACHMENTS = 10;

/**
 * One outgoing message in the daemon's outbox. `text` is markdown (bridges format and split it).
 * `platformMessageIds` are the ids of the messages the platform accepted (one per chunk), in order; while
 * `sending` they are the chunks already sent. Times are ISO 8601 UTC strings.
 */
export const Delivery = z.strictObject({
  id: z.string(),
  address: DeliveryAddress,
  text: z.string(),
  runId: z.string().nullable(),
  idempotencyKey: z.string().nullable(),
  state: DeliveryState,
  attempts: z.number().int().min(0),
  lastError: z.string().nullable(),
  platformMessageIds: z.array(z.string()),
  /** Files sent after the text (one platform message each, counted in `platformMessageIds` after the text's chunks). */
  attachments: z.array(DeliveryAttachment),
  createdAt: z.string(),
  updatedAt: z.string(),
  deliveredAt: z.string().nullable(),
  /** Buttons shown under the message (under its last chunk), when any. */
  buttons: z.array(DeliveryButton).max(8).optional(),
});
/** See {@link Delivery}. */
export type Delivery = z.infer<typeof Delivery>;

/**
 * `delivery.offer`: a delivery for the platform this connection subscribed to. Send it, then `deliveries.ack`
 * (or `deliveries.fail`) before `ackTimeoutMs` passes, else it is offered again. `platformMessageIds` lists
 * the chunks a previous attempt already sent (skip that many chunks). Deliveries of one chat come one at a time,
 * in order: the next is offered once this one is acknowledged or failed.
 */
export const DeliveryOfferPayload = z.strictObject({
  delivery: Delivery,
  ackTimeoutMs: z.number().int().min(1),
});

/** Params of `messages.send`: post `text` (markdown) to a chat through the outbox. */
export const MessageSendParams = z.strictObject({
  address: DeliveryAddress,
  text: z.string().min(1).max(DELIVERY_MAX_CHARS),
  idempotencyKey: z.string().min(1).max(200).optional(),
});

const byId = z.strictObject({ id: z.string().min(1).max(64) });
const oneDelivery = z.strictObject({ delivery: Delivery });

/** The delivery (outbox) methods of the protocol (issue 11). */
export const deliveryMethods = {
  "deliveries.subscribe": defineMethod({ scope: "bridge",
    params: z.strictObject({ platform: DeliveryAddress.shape.platform }),
    result: z.strictObject({ open: z.number().int().min(0) }),
    description:
      "Bridges: receive this platform's deliveries as delivery.offer events, starting with every one not yet acknowledged (in order per chat). `open` counts them.",
    sideEffect: true,
  }),
  "deliveries.ack": defineMethod({ scope: "bridge",
    params: z.strictObject({
      id: z.string().min(1).max(64),
      platformMessageIds: z.array(z.string().max(128)).max(1000),
      complete: z.boolean().default(true),
    }),
    result: oneDelivery,
    description:
      "Bridges: the platform accepted the delivery (its message ids). `complete: false` records chunks sent so far and keeps the delivery leased. A late or repeated ack is accepted.",
    sideEffect: true,
  }),
  "deliveries.fail": defineMethod({ scope: "bridge",
    params: z.strictObject({ id: z.string().min(1).max(64), reason: z.string().min(1).max(1000), retryable: z.boolean().default(true) }),
    result: oneDelivery,
    description: "Bridges: the platform refused the delivery. Retryable failures are offered again with backoff until the attempts run out; others fail at once.",
    sideEffect: true,
  }),
  "deliveries.list": defineMethod({ scope: ["read", "bridge"],
    params: z.strictObject({
      state: DeliveryState.optional(),
      platform: DeliveryAddress.shape.platform.optional(),
      since: z.iso.datetime({ offset: true }).optional(),
      limit: z.number().int().min(1).max(1000).default(100),
    }),
    result: z.strictObject({ deliveries: z.array(Delivery) }),
    description: "Deliveries, newest first, filtered by state, platform and creation time (`since`, ISO 8601).",
    rest: {
      method: "get", path: "/api/deliveries", tag: "deliveries",
      summary: "Deliveries (the outbox), newest first: filter by state (pending, sending, delivered, failed), platform, and since (ISO 8601 creation time).",
    },
  }),
  "deliveries.get": defineMethod({ scope: ["read", "bridge"], params: byId, result: oneDelivery, description: "One delivery by id.",
    rest: { method: "get", path: "/api/deliveries/{id}", tag: "deliveries", summary: "One delivery: address, text, state, attempts, last error, the platform's message ids.", errors: [404] },
  }),
  "deliveries.retry": defineMethod({ scope: "admin",
    params: byId,
    result: oneDelivery,
    description: "Offer a failed delivery again (attempts start over). A delivered one is a conflict.",
    sideEffect: true,
    rest: { method: "post", path: "/api/deliveries/{id}/retry", tag: "deliveries", summary: "Offer a failed delivery again (its attempts start over). A delivered one is 409.", errors: [404, 409] },
  }),
  "messages.send": defineMethod({ scope: ["bridge"],
    params: MessageSendParams,
    result: z.strictObject({ delivery: Delivery, duplicate: z.boolean() }),
    description: "Post a message to a chat through the outbox. The same idempotencyKey returns the first delivery.",
    sideEffect: true,
  }),
};

/** The delivery events. */
export const deliveryEvents = {
  "delivery.offer": defineEvent({ payload: DeliveryOfferPayload, description: "A delivery for a subscribed platform to send and acknowledge." }),
};
