import { z } from "zod";

/** Default time a bridge has to acknowledge an offered delivery before it is offered again, in ms (30 s). */
export const DEFAULT_ACK_TIMEOUT_MS = 30_000;
/**
 * Default number of offers of one delivery before it is `failed` (8: with the default backoff, a platform that
 * refuses for about four minutes loses nothing).
 */
export const DEFAULT_MAX_ATTEMPTS = 8;
/** Default first delay before a delivery a bridge failed (retryably) is offered again, in ms (2 s; doubles per attempt). */
export const DEFAULT_RETRY_INITIAL_MS = 2_000;
/** Default longest delay between attempts, in ms (5 minutes). */
export const DEFAULT_RETRY_MAX_MS = 300_000;

/**
 * `deliveries:` in agentd.yaml (issue 11), the outbox's timing: `ackTimeoutMs` (an offer not acknowledged within
 * it is offered again), `maxAttempts` (offers before `failed`), `retryInitialMs`/`retryMaxMs` (exponential
 * backoff between attempts after a bridge reports a retryable failure).
 */
export const DeliveriesConfig = z.strictObject({
  ackTimeoutMs: z.number().int().min(100).max(3_600_000).default(DEFAULT_ACK_TIMEOUT_MS),
  maxAttempts: z.number().int().min(1).max(100).default(DEFAULT_MAX_ATTEMPTS),
  retryInitialMs: z.number().int().min(0).max(3_600_000).default(DEFAULT_RETRY_INITIAL_MS),
  retryMaxMs: z.number().int().min(0).max(86_400_000).default(DEFAULT_RETRY_MAX_MS),
});
/** See {@link DeliveriesConfig}. */
export type DeliveriesConfig = z.infer<typeof DeliveriesConfig>;
