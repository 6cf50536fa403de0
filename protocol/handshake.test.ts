import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { clientProofOf, keyIdOfToken, keyOfToken, newNonce, proofMatches, serverProofOf } from "./handshake.js";

describe("the challenge–response handshake", () => {
  it("matches the frames shown in docs/protocol.md for the token shown there", () => {
    const doc = readFileSync(join(import.meta.dirname, "..", "docs", "protocol.md"), "utf8");
    const frame = (type: string) => JSON.parse(new RegExp(`\`\`\`json (?:client|server)\\n(\\{ "type": "${type}".*)\\n\`\`\``).exec(doc)![1]!);
    const hello = frame("hello");
    const challenge = frame("challenge");
    const auth = frame("auth");
    const token = "2kT0rX3m1n0v8sQe8JHc3b2mV1hA3rj8M6cOa9ZL5fQ";
    const key = keyOfToken(token);
    expect(hello.keyId).toBe(keyIdOfToken(token));
    expect(challenge.serverProof).toBe(serverProofOf(key, hello.clientNonce, challenge.serverNonce));
    expect(auth.proof).toBe(clientProofOf(key, challenge.serverNonce, hello.clientNonce));
  });

  it("binds each proof to its side and to both nonces", () => {
    const key = keyOfToken("t0ken");
    const [a, b] = [newNonce(), newNonce()];
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(serverProofOf(key, a, b)).not.toBe(clientProofOf(key, b, a)); // a server proof is no client proof
    expect(serverProofOf(key, a, b)).not.toBe(serverProofOf(key, a, newNonce()));
    expect(serverProofOf(keyOfToken("other"), a, b)).not.toBe(serverProofOf(key, a, b));
    expect(keyIdOfToken("t0ken")).toMatch(/^[0-9a-f]{16}$/);
  });

  it("compares proofs strictly: same bytes only, no other encoding or length", () => {
    const p = serverProofOf(keyOfToken("t0ken"), "a".repeat(43), "b".repeat(43));
    expect(proofMatches(p, p)).toBe(true);
    expect(proofMatches(p, `${p}=`)).toBe(false);
    expect(proofMatches(p, p.slice(0, -1))).toBe(false);
    expect(proofMatches(p, undefined)).toBe(false);
    expect(proofMatches(p, 42)).toBe(false);
  });
});
