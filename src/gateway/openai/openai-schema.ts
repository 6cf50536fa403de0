import { z } from "zod";

/** A content part of an OpenAI chat message; only `text` parts carry text agentd can use. */
const ContentPart = z.looseObject({ type: z.string(), text: z.string().optional() });

/** One message of an OpenAI chat completion request (OpenAI API reference, "Create chat completion"). */
export const OpenAiMessage = z.looseObject({
  role: z.enum(["system", "developer", "user", "assistant", "tool", "function"]),
  content: z.union([z.string(), z.array(ContentPart)]).nullish(),
  name: z.string().optional(),
});
/** See {@link OpenAiMessage}. */
export type OpenAiMessage = z.infer<typeof OpenAiMessage>;

/**
 * Body of `POST /v1/chat/completions`. Loose: the sampling fields clients send (`temperature`, `top_p`,
 * `max_tokens`, `tools`…) are accepted and ignored, because the agent runs with its own configuration and tools.
 * `model`: `agentd` or the agent's name, optionally `/<model>` (a model name under `models`).
 * `user` (or the `X-Session-Id` header) keys the session the last user message goes to.
 */
export const ChatCompletionBody = z.looseObject({
  model: z.string().min(1).max(200).describe("`agentd` or the agent's name, optionally `/<configured model>` (e.g. `agentd/claude`)"),
  messages: z.array(OpenAiMessage).min(1).max(10_000),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  user: z.string().min(1).max(200).nullish().describe("a session key: the same value continues the same session"),
  n: z.number().int().min(1).max(1).nullish().describe("only 1 is supported"),
});
/** See {@link ChatCompletionBody}. */
export type ChatCompletionBody = z.infer<typeof ChatCompletionBody>;

/** Token usage in OpenAI's shape (`cached_tokens` under `prompt_tokens_details`). */
export const OpenAiUsage = z.strictObject({
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  total_tokens: z.number().int(),
  prompt_tokens_details: z.strictObject({ cached_tokens: z.number().int() }),
});

/** A non-streamed chat completion (`object: "chat.completion"`). */
export const ChatCompletion = z.strictObject({
  id: z.string(),
  object: z.literal("chat.completion"),
  created: z.number().int().describe("Unix seconds"),
  model: z.string(),
  choices: z.array(z.strictObject({
    index: z.number().int(),
    message: z.strictObject({ role: z.literal("assistant"), content: z.string(), refusal: z.null() }),
    finish_reason: z.enum(["stop", "length"]),
    logprobs: z.null(),
  })),
  usage: OpenAiUsage,
  system_fingerprint: z.null(),
});

/** `GET /v1/models`: the agent (and the agent with each configured model) as OpenAI model objects. */
export const ModelListResponse = z.strictObject({
  object: z.literal("list"),
  data: z.array(z.strictObject({ id: z.string(), object: z.literal("model"), created: z.number().int(), owned_by: z.string() })),
});

/** The error body of `/v1/*`, in OpenAI's shape: `{ error: { message, type, param, code } }`. */
export const OpenAiErrorBody = z.strictObject({
  error: z.strictObject({ message: z.string(), type: z.string(), param: z.string().nullable(), code: z.string().nullable() }),
});
