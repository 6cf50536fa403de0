import { z } from "zod";
import { DeliverToField } from "../../../protocol/schedules.js";

/** Default size limit of a webhook body, in bytes (1 MiB; `server.maxBodyBytes` caps every body as well). */
export const DEFAULT_HOOK_MAX_BYTES = 1_048_576;
/** Header whose value identifies one delivery of a webhook (GitHub's); a replay with the same value runs once. */
export const DEFAULT_HOOK_DELIVERY_HEADER = "x-github-delivery";

/**
 * One incoming webhook, `hooks.<name>` in agentd.yaml, served at `POST /api/hooks/<name>`:
 * - `secret`: the body must carry `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>` exactly as GitHub
 *   signs webhooks (no bearer token then); without a secret the request needs the bearer token instead.
 * - `prompt`: the text the agent gets; `{{body}}` is the JSON body (pretty), `{{body.a.b}}` one value of it,
 *   `{{headers.x-github-event}}` a request header. Without placeholders the body is appended.
 * - `session`: `own` (default: one session for this hook, kept across deliveries) or `new` (one per delivery).
 * - `deliverTo`: channel address(es) of the result; `maxBytes`: body limit (default 1 MiB);
 *   `deliveryIdHeader`: the header naming a delivery (default `X-GitHub-Delivery`), for replays.
 */
export const HookConfig = z.strictObject({
  secret: z.string().min(16, "at least 16 characters").optional(),
  prompt: z.string().trim().min(1).max(20_000),
  session: z.enum(["own", "new"]).default("own"),
  deliverTo: DeliverToField.optional(),
  maxBytes: z.number().int().min(1024).default(DEFAULT_HOOK_MAX_BYTES),
  deliveryIdHeader: z.string().regex(/^[a-zA-Z0-9-]+$/).transform((h) => h.toLowerCase()).default(DEFAULT_HOOK_DELIVERY_HEADER),
});
/** See {@link HookConfig}. */
export type HookConfig = z.output<typeof HookConfig>;

/** `hooks:` in agentd.yaml: webhooks by name (the last segment of `/api/hooks/<name>`). */
export const HooksConfig = z.record(z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,63}$/, "letters, digits, '_' or '-', at most 64"), HookConfig);
