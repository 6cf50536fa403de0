/**
 * Issue 17 item 1: a note's name reaches the same note over REST and over the protocol, whatever characters it
 * holds (`%`, `%25`, `%42`, spaces, unicode, `#`, `?`, `+`, `&`). REST path params are percent-decoded exactly
 * once (RFC 3986 §2.1): `b%2542.md` in a URL is the note `b%42.md`, never `bB.md`. Property-based (fast-check)
 * against a real daemon; a failure prints the seed and the shrunk name.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startFakeLlm, type FakeLlm } from "./support/fake-llm.js";
import { initAgent, startDaemon, type RunningDaemon } from "./support/daemon.js";
import { RawWs } from "./support/raw-ws.js";

let llm: FakeLlm;
let d: RunningDaemon;
let ws: RawWs;
let vaultDir: string;

beforeAll(async () => {
  llm = await startFakeLlm();
  const { dir } = await initAgent({ llmUrl: llm.url });
  vaultDir = join(dir, "vault");
  d = await startDaemon(dir);
  ws = await RawWs.connect(`ws://127.0.0.1:${d.port}/ws`, d.token);
});
afterAll(async () => {
  await ws?.close();
  await d?.stop();
  await llm?.close();
});

/** The URL of a note: each path segment percent-encoded once, as a browser or `fetch` user would write it. */
const url = (name: string) => `/api/vault/notes/${name.split("/").map(encodeURIComponent).join("/")}`;

async function rest(method: string, name: string, body?: unknown): Promise<{ status: number; body: any }> {
  const r = await d.api(url(name), { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: r.status, body: await r.json() };
}

/** The note as REST and WS answer it, minus what may differ between two reads of the same bytes (nothing). */
async function readBoth(name: string): Promise<{ rest: { status: number; body: any }; ws: any }> {
  const [r, w] = [await rest("GET", name), await ws.request("vault.read", { path: name })];
  return { rest: r, ws: w };
}

describe("note names over REST and WebSocket", () => {
  it("the double-decoding cases of the issue reach the named note, never its neighbour", async () => {
    writeFileSync(join(vaultDir, "bB.md"), "I am bB\n");
    writeFileSync(join(vaultDir, "aA.md"), "I am aA\n");
    writeFileSync(join(vaultDir, "b%42.md"), "I am b%42\n");

    // GET 100%.md: the literal percent sign
    expect((await rest("PUT", "100%.md", { content: "one hundred percent\n" })).status).toBe(200);
    const hundred = await rest("GET", "100%.md");
    expect(hundred.status).toBe(200);
    expect(hundred.body.content).toBe("one hundred percent\n");

    // PUT a%41.md creates a%41.md and leaves aA.md alone
    expect((await rest("PUT", "a%41.md", { content: "new\n" })).body.path).toBe("a%41.md");
    expect(readFileSync(join(vaultDir, "aA.md"), "utf8")).toBe("I am aA\n");
    expect(readFileSync(join(vaultDir, "a%41.md"), "utf8")).toBe("new\n");

    // DELETE b%42.md deletes b%42.md, never bB.md
    expect((await rest("DELETE", "b%42.md")).body).toEqual({ path: "b%42.md", deleted: true });
    expect(existsSync(join(vaultDir, "b%42.md"))).toBe(false);
    expect(readFileSync(join(vaultDir, "bB.md"), "utf8")).toBe("I am bB\n");
  });

  it("a raw `%` that is not percent-encoding is a 400 naming the path, not a guess", async () => {
    for (const raw of ["/api/vault/notes/100%.md", "/api/vault/notes/a%ZZ.md", "/api/vault/notes/%E2%82.md"]) {
      const r = await d.api(raw);
      expect(r.status, raw).toBe(400);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe("bad_request");
    }
  });

  /** Pieces that break percent-decoding, plus ordinary ones. */
  const piece = fc.constantFrom("%", "%25", "%42", "%2F", "%41", "B", "A", "b", " ", "é", "€", "日本", "#", "?", "+", "&", "=", ";", "x", "-", "'", "~", "%%", "%E2%82%AC");
  const name = fc
    .tuple(fc.array(piece, { minLength: 1, maxLength: 6 }), fc.constantFrom("", "Sub/", "é %/"))
    .map(([parts, folder]) => `${folder}${parts.join("").trim() || "x"}.md`);

  it("for random names, REST and WS read, write and delete the same note, and never its decoded neighbour", async () => {
    await fc.assert(
      fc.asyncProperty(name, fc.nat(), async (n, salt) => {
        // the note a second decoding would reach, with content that must never change
        let neighbour: string | undefined;
        try {
          neighbour = decodeURIComponent(n);
        } catch {
          neighbour = undefined;
        }
        if (neighbour === n || neighbour?.includes("\0")) neighbour = undefined;
        const decoy = `decoy ${salt}\n`;
        if (neighbour && !(await ws.request("vault.write", { path: neighbour, content: decoy })).ok) neighbour = undefined;

        // a name the vault refuses (e.g. `%2F`, an encoded slash) is refused the same way over both
        const put = await rest("PUT", n, { content: `rest ${salt}\n` });
        const probe = await ws.request("vault.read", { path: n });
        if (!probe.ok && probe.error.code === "bad_request") {
          expect(put.status).toBe(400);
          expect(put.body.error).toEqual(probe.error);
          if (neighbour) await ws.request("vault.delete", { path: neighbour });
          return;
        }
        // write over REST, read over both: the same answer
        expect(put.status, JSON.stringify(put.body)).toBe(200);
        expect(put.body.path).toBe(n);
        let both = await readBoth(n);
        expect(both.ws.ok).toBe(true);
        expect(both.rest.body).toEqual(both.ws.result);
        expect(both.ws.result.content).toBe(`rest ${salt}\n`);

        // write over WS, read over both
        const w = await ws.request("vault.write", { path: n, content: `ws ${salt}\n` });
        expect(w.ok).toBe(true);
        both = await readBoth(n);
        expect(both.rest.body).toEqual(both.ws.result);
        expect(both.rest.body.content).toBe(`ws ${salt}\n`);

        // delete over REST: WS no longer finds it (and says so exactly as REST does)
        expect((await rest("DELETE", n)).body).toEqual({ path: n, deleted: true });
        both = await readBoth(n);
        expect(both.rest.status).toBe(404);
        expect(both.ws.ok).toBe(false);
        expect(both.rest.body.error).toEqual(both.ws.error);

        // recreate over WS, delete over WS: REST no longer finds it
        expect((await ws.request("vault.write", { path: n, content: "again\n" })).ok).toBe(true);
        expect((await ws.request("vault.delete", { path: n })).result).toEqual({ path: n, deleted: true });
        expect((await rest("GET", n)).status).toBe(404);

        if (neighbour) {
          const still = await ws.request("vault.read", { path: neighbour });
          expect(still.ok, `the neighbour ${neighbour} of ${n} was touched`).toBe(true);
          expect(still.result.content).toBe(decoy);
          await ws.request("vault.delete", { path: neighbour });
        }
      }),
      { numRuns: 60 },
    );
  });
});
