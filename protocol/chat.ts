import { z } from "zod";
import { defineMethod } from "./method-spec.js";

/**
 * Where a message came from when a bridge sent it (issue 6): `(platform, chatId[, threadId])` binds to a session.
 * `isGroup` and `mentioned` let the daemon apply the group policy (answer only when mentioned, by default).
 */
export const ChannelAddress = z.strictObject({
  platform: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/),
  chatId: z.string().min(1).max(128),
  userId: z.string().min(1).max(128),
  userName: z.string().max(128).optional(),
  threadId: z.string().max(128).optional(),
  messageId: z.string().max(128).optional(),
  isGroup: z.boolean().default(false),
  mentioned: z.boolean().default(false),
});
/** See {@link ChannelAddress}. */
export type ChannelAddress = z.infer<typeof ChannelAddress>;

/**
 * The channel platform of `agentd chat`: the terminal is one chat per user and machine, so chat commands
 * (`/sessions`, `/switch N`…) and the chat's current session work there as in the bridges. Whoever runs it holds
 * the owner's token (they could send without a channel anyway): always answered, and may switch models. No bridge
 * takes its deliveries: the terminal gets its replies as run events, so its runs write nothing to the outbox.
 */
export const TERMINAL_PLATFORM = "terminal";

/**
 * A file uploaded through `/api/upload` and referenced by a message: `path` relative to the agent folder
 * (`uploads/…`), the original file name, its MIME type and size in bytes, and for audio the transcription made at
 * upload (when `uploads.transcriptionModel` is set).
 */
export const Attachment = z.strictObject({
  path: z.string().max(1024),
  filename: z.string().max(255),
  mime: z.string().max(128),
  bytes: z.number().int().min(0),
  transcription: z.string().optional(),
});
/** See {@link Attachment}. */
export type Attachment = z.infer<typeof Attachment>;

/** Message status: `ok`, `aborted` (stopped, partial text kept), `error` (reason kept), `interrupted` (daemon died mid-run). */
export const MessageStatus = z.enum(["ok", "aborted", "error", "interrupted"]);
/** See {@link MessageStatus}. */
export type MessageStatus = z.infer<typeof MessageStatus>;

/** One tool call the model asked for, as stored with the assistant message (OpenAI's shape, arguments as raw JSON text). */
export const ToolCall = z.strictObject({ id: z.string(), name: z.string(), arguments: z.string() });
/** See {@link ToolCall}. */
export type ToolCall = z.infer<typeof ToolCall>;

/** A stored message as clients see it. Times are ISO 8601 UTC strings. */
export const Message = z.strictObject({
  id: z.string(),
  sessionId: z.string(),
  runId: z.string().nullable(),
  role: z.enum(["user", "assistant", "tool", "summary"]),
  content: z.string(),
  toolCalls: z.array(ToolCall).optional(),
  toolCallId: z.string().optional(),
  status: MessageStatus,
  error: z.string().optional(),
  model: z.string().optional(),
  channel: ChannelAddress.optional(),
  /** The files sent with a user message (issue 12). */
  attachments: z.array(Attachment).optional(),
  createdAt: z.string(),
});
/** See {@link Message}. */
export type Message = z.infer<typeof Message>;

/** Token counts of a run or a model call. `costUsd` is null when the model has no price. */
export const Usage = z.strictObject({
  promptTokens: z.number().int().min(0),
  completionTokens: z.number().int().min(0),
  cachedTokens: z.number().int().min(0),
  costUsd: z.number().nullable(),
});
/** See {@link Usage}. */
export type Usage = z.infer<typeof Usage>;

/** True when a message has something to say: text, or at least one attachment (a photo without a caption). */
export const hasContent = (p: { text?: string | undefined; attachments?: unknown[] | undefined }): boolean => !!p.text || (p.attachments?.length ?? 0) > 0;

/**
 * Params of `chat.send`. `idempotencyKey` (1..200 chars) makes resends safe: the same key never runs twice.
 * `model` picks one of the configured models for this run (a `not_found` error names an unknown one).
 * `text` may be empty (or left out) when `attachments` has at least one file; the daemon checks the files against
 * the `uploads` limits (count, bytes per file and per message) and answers `payload_too_large` over them.
 */
export const ChatSendParams = z.strictObject({
  text: z.string().max(100_000).default(""),
  idempotencyKey: z.string().min(1).max(200),
  sessionId: z.string().max(64).optional(),
  channel: ChannelAddress.optional(),
  attachments: z.array(Attachment).max(16).optional(),
  /** A model name under `models` in agentd.yaml for this run (default: the session's, else the agent's `model`). */
  model: z.string().max(64).optional(),
}).refine(hasContent, { message: "send a text or at least one attachment", path: ["text"] });

/** Result of `chat.send`: answered at once; the run then streams `run.*` events. `duplicate` is true on a resend. */
export const ChatSendResult = z.strictObject({
  runId: z.string(),
  sessionId: z.string(),
  duplicate: z.boolean(),
});

/** The chat methods of protocol version 1. */
export const chatMethods = {
  "chat.send": defineMethod({
    scope: ["chat", "bridge"],
    params: ChatSendParams,
    result: ChatSendResult,
    description: "Send a user message; answers at once with the run id, then the run streams run.* events.",
    sideEffect: true,
  }),
  "chat.abort": defineMethod({
    scope: ["chat", "bridge"],
    params: z.strictObject({ runId: z.string().optional(), sessionId: z.string().optional() }),
    result: z.strictObject({ aborted: z.boolean() }),
    description: "Stop a running reply (by run id, or the running one of a session); the partial text is kept.",
    sideEffect: true,
    rest: { method: "post", path: "/api/chat/abort", tag: "chat", summary: "Stop a running reply (by run id or session)." },
  }),
  "chat.history": defineMethod({
    scope: ["chat", "read"],
    params: z.strictObject({
      sessionId: z.string(),
      limit: z.number().int().min(1).max(1000).default(100),
      beforeId: z.string().optional(),
    }),
    result: z.strictObject({ messages: z.array(Message) }),
    description: "Messages of a session, oldest first (the newest `limit`, or those before `beforeId`).",
    rest: { method: "get", path: "/api/sessions/{id}/messages", pathParams: { id: "sessionId" }, tag: "sessions", summary: "Messages of a session, oldest first.", errors: [404] },
  }),
};
