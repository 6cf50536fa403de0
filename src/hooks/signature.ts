import { createHmac, timingSafeEqual } from "node:crypto";

/** The header GitHub puts its webhook signature in (https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries). */
export const SIGNATURE_HEADER = "x-hub-signature-256";

/** The `X-Hub-Signature-256` value of `body` under `secret`: `sha256=` + the lowercase hex HMAC-SHA256 of the raw bytes. */
export function signBody(secret: string, body: Uint8Array | string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/**
 * True when `header` is exactly the signature GitHub would send for `body` under `secret` (`sha256=<64 hex>`),
 * compared in constant time. A missing or malformed header is false.
 */
export function verifySignature(secret: string, body: Uint8Array, header: string | undefined): boolean {
  if (!header || !/^sha256=[0-9a-fA-F]{64}$/.test(header)) return false;
  const expected = Buffer.from(signBody(secret, body).slice(7), "hex");
  return timingSafeEqual(expected, Buffer.from(header.slice(7), "hex"));
}
