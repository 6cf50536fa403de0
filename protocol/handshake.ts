/**
 * The challenge–response handshake of protocol 2 (docs/protocol.md "Handshake"): client and server each prove
 * they know the agent's token without ever sending it, and the server proves itself FIRST, so a program that took
 * the port of a stale `.port` learns nothing it could use (no token, no hash of it, no proof it can replay).
 *
 * - key = SHA-256(token), 32 bytes: the HMAC key (also what a server stores instead of a token).
 * - keyId = the first 16 hex characters of SHA-256("agentd-key-id:" + token): names the key, reveals nothing.
 * - nonces: 32 random bytes, base64url (43 characters), fresh per connection on each side.
 * - serverProof = HMAC-SHA256(key, "server|" + clientNonce + "|" + serverNonce), base64url.
 * - clientProof = HMAC-SHA256(key, "client|" + serverNonce + "|" + clientNonce), base64url.
 * HMAC: RFC 2104; SHA-256: FIPS 180-4. Proofs are compared in constant time.
 */
import { createHmac, hash, randomBytes, timingSafeEqual } from "node:crypto";

/** Bytes of randomness in a handshake nonce (256 bits). */
export const NONCE_BYTES = 32;

/**
 * The HMAC key of a token: SHA-256(token) as 32 bytes. Node's one-shot `crypto.hash` (no Hash object: a REST
 * request hashes the presented bearer token once, issue 20).
 */
export function keyOfToken(token: string): Buffer {
  return hash("sha256", token, "buffer");
}

/** The key id of a token: first 16 hex characters of SHA-256("agentd-key-id:" + token). */
export function keyIdOfToken(token: string): string {
  return hash("sha256", `agentd-key-id:${token}`, "hex").slice(0, 16);
}

/** A fresh nonce: {@link NONCE_BYTES} random bytes, base64url. */
export function newNonce(): string {
  return randomBytes(NONCE_BYTES).toString("base64url");
}

function hmac(key: Buffer, text: string): string {
  return createHmac("sha256", key).update(text, "utf8").digest("base64url");
}

/** The server's proof that it knows the key: HMAC-SHA256(key, "server|" + clientNonce + "|" + serverNonce). */
export function serverProofOf(key: Buffer, clientNonce: string, serverNonce: string): string {
  return hmac(key, `server|${clientNonce}|${serverNonce}`);
}

/** The client's proof that it knows the key: HMAC-SHA256(key, "client|" + serverNonce + "|" + clientNonce). */
export function clientProofOf(key: Buffer, serverNonce: string, clientNonce: string): string {
  return hmac(key, `client|${serverNonce}|${clientNonce}`);
}

/** Compares a presented proof with the expected one in constant time; false for any other length or encoding. */
export function proofMatches(expected: string, presented: unknown): boolean {
  if (typeof presented !== "string") return false;
  const a = Buffer.from(expected, "base64url");
  const b = Buffer.from(presented, "base64url");
  return a.length === b.length && b.toString("base64url") === presented && timingSafeEqual(a, b);
}
