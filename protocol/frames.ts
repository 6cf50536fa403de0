import { z } from "zod";
import { WireError } from "./errors.js";

/** Request ids are chosen by the client: a string of 1..64 characters or a safe integer. */
export const RequestId = z.union([z.string().min(1).max(64), z.number().int().safe()]);
/** A request id, see {@link RequestId}. */
export type RequestId = z.infer<typeof RequestId>;

/** A handshake nonce: 32 random bytes in base64url (43 characters); 22..128 accepted. */
const Nonce = z.string().regex(/^[A-Za-z0-9_-]{22,128}$/, "a nonce is 22..128 base64url characters");
/** An HMAC-SHA256 proof in base64url (43 characters). */
const Proof = z.string().regex(/^[A-Za-z0-9_-]{43}$/, "a proof is an HMAC-SHA256 in base64url (43 characters)");

/**
 * First client frame: the accepted protocol version range (inclusive), the id of the key it holds
 * (`keyId`, see protocol/handshake.ts) and a fresh `clientNonce`. The token itself is never sent.
 */
export const HelloFrame = z.strictObject({
  type: z.literal("hello"),
  protocol: z.strictObject({ min: z.number().int().min(1), max: z.number().int().min(1) }),
  keyId: z.string().regex(/^[0-9a-f]{16}$/, "keyId is 16 lowercase hex characters").optional(),
  clientNonce: Nonce.optional(),
  /**
   * `"cookie"`: a browser page of the daemon's own origin, signed in with the session cookie that came with the
   * WebSocket upgrade (checked there with Origin and Host); it sends neither `keyId` nor `clientNonce` and gets
   * `welcome` at once. See docs/protocol.md "Browsers".
   */
  session: z.literal("cookie").optional(),
  client: z.strictObject({ name: z.string().max(64), version: z.string().max(32).optional() }).optional(),
}).refine((f) => (f.session === "cookie" ? f.keyId === undefined && f.clientNonce === undefined : f.keyId !== undefined && f.clientNonce !== undefined), {
  message: "hello carries keyId and clientNonce (token), or session: \"cookie\" (browser) and neither",
  path: ["keyId"],
});
/** The handshake frame, see {@link HelloFrame}. */
export type HelloFrame = z.infer<typeof HelloFrame>;

/**
 * The server's answer to `hello`: its own fresh nonce and its proof that it knows the key,
 * HMAC-SHA256(key, "server|" + clientNonce + "|" + serverNonce). A client that cannot verify it closes the
 * connection without answering.
 */
export const ChallengeFrame = z.strictObject({
  type: z.literal("challenge"),
  serverNonce: Nonce,
  serverProof: Proof,
});
/** See {@link ChallengeFrame}. */
export type ChallengeFrame = z.infer<typeof ChallengeFrame>;

/** The client's answer to a verified challenge: HMAC-SHA256(key, "client|" + serverNonce + "|" + clientNonce). */
export const AuthFrame = z.strictObject({
  type: z.literal("auth"),
  proof: Proof,
});
/** See {@link AuthFrame}. */
export type AuthFrame = z.infer<typeof AuthFrame>;

/** The server's answer to a good handshake: who it is and what it supports. */
export const WelcomeFrame = z.strictObject({
  type: z.literal("welcome"),
  server: z.strictObject({ name: z.literal("agentd"), version: z.string() }),
  agent: z.strictObject({ name: z.string() }),
  protocol: z.number().int(),
  methods: z.array(z.string()),
  events: z.array(z.string()),
});
/** See {@link WelcomeFrame}. */
export type WelcomeFrame = z.infer<typeof WelcomeFrame>;

/** A method call. `params` is validated against the method's schema on arrival. */
export const ReqFrame = z.strictObject({
  type: z.literal("req"),
  id: RequestId,
  method: z.string().min(1).max(64),
  params: z.unknown().optional(),
});
/** See {@link ReqFrame}. */
export type ReqFrame = z.infer<typeof ReqFrame>;

/** The answer to one request: `ok: true` with `result`, or `ok: false` with a wire `error`. */
export const ResFrame = z.strictObject({
  type: z.literal("res"),
  id: RequestId,
  ok: z.boolean(),
  result: z.unknown().optional(),
  error: WireError.optional(),
});
/** See {@link ResFrame}. */
export type ResFrame = z.infer<typeof ResFrame>;

/** A server-pushed event. Run events carry `payload.runId`, and `seq` counts from 1 per run. */
export const EventFrame = z.strictObject({
  type: z.literal("event"),
  event: z.string(),
  payload: z.unknown(),
  seq: z.number().int().min(0),
});
/** See {@link EventFrame}. */
export type EventFrame = z.infer<typeof EventFrame>;

/** An error not tied to a request id (a frame that is not even a frame, a failed handshake). */
export const ErrorFrame = z.strictObject({
  type: z.literal("error"),
  error: WireError,
});
/** See {@link ErrorFrame}. */
export type ErrorFrame = z.infer<typeof ErrorFrame>;

/** Frames a client may send. */
export const ClientFrame = z.discriminatedUnion("type", [HelloFrame, AuthFrame, ReqFrame]);
/** See {@link ClientFrame}. */
export type ClientFrame = z.infer<typeof ClientFrame>;

/** Frames the server sends. */
export const ServerFrame = z.discriminatedUnion("type", [ChallengeFrame, WelcomeFrame, ResFrame, EventFrame, ErrorFrame]);
/** See {@link ServerFrame}. */
export type ServerFrame = z.infer<typeof ServerFrame>;

/**
 * WebSocket close codes agentd uses (4000-4999 is the application range, RFC 6455 §7.4.2).
 * 1008 policy violation (handshake missing), 1009 frame too big, 4401 bad token, 4426 no common protocol version,
 * 4403 the server could not prove it holds the token (sent by the client).
 */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  policyViolation: 1008,
  messageTooBig: 1009,
  unauthorized: 4401,
  unsupportedVersion: 4426,
  serverUnverified: 4403,
  slowConsumer: 4408,
} as const;
