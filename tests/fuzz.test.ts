/**
 * Property-based fuzzing (issue 7, fast-check) against a real daemon: random and mutated frames at the WebSocket
 * decoder, random paths at the vault methods and routes, random bodies and queries at the REST routes. Every
 * answer must be a typed error (or a valid answer), REST and WS must give the same answer for the same vault
 * path, the daemon must stay up, and nothing may be written outside the vault. A failure prints fast-check's seed and the shrunk counterexample.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { request } from "node:http";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { ServerFrame } from "../protocol/frames.js";
import { ErrorCode, httpStatusOf } from "../protocol/errors.js";
import { startFakeLlm, type FakeLlm } from "./support/fake-llm.js";
import { initAgent, startDaemon, type RunningDaemon } from "./support/daemon.js";
import { RawWs, type AnyFrame } from "./support/raw-ws.js";

let llm: FakeLlm;
let d: RunningDaemon;
let root: string;
const codes = new Set<string>(ErrorCode.options);
const CANARY = "canary: must never change\n";

/** Every file under `dir` with its size and content hash-ish (size + mtime), skipping the daemon's own churn. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (p: string): void => {
    for (const e of readdirSync(p, { withFileTypes: true })) {
      const full = join(p, e.name);
      const rel = relative(root, full).split(sep).join("/");
      if (/^agent\/(vault|logs)(\/|$)|^agent\/(agentd\.db|vault-index\.db)|^agent\/\.port$|^agent\/agentd\.lock$/.test(rel)) continue;
      if (e.isDirectory()) walk(full);
      else out.set(rel, `${statSync(full).size}:${statSync(full).mtimeMs}`);
    }
  };
  walk(dir);
  return out;
}

beforeAll(async () => {
  llm = await startFakeLlm();
  const { dir } = await initAgent({
    llmUrl: llm.url,
    edit: (c) => {
      // the fuzzer sends thousands of frames: the frame rate limit is tested in security.test.ts
      Object.assign(c.server, { maxFramesPerSecond: 1_000_000, frameBurst: 1_000_000, maxFrameBytes: 65_536 });
    },
  });
  root = dirname(dir);
  writeFileSync(join(root, "outside.md"), CANARY);
  writeFileSync(join(dir, "outside.md"), CANARY);
  d = await startDaemon(dir);
});
afterAll(async () => {
  await d?.kill();
  await llm?.close();
});

/** A WebSocket answer to one fuzzed frame must be a valid server frame carrying a known error code (or ok). */
function expectTyped(f: AnyFrame, mayBeOk: boolean): void {
  expect(ServerFrame.safeParse(f).success, JSON.stringify(f)).toBe(true);
  if (f.type === "res" && f.ok) {
    expect(mayBeOk, JSON.stringify(f)).toBe(true);
    return;
  }
  expect(f.type === "error" || f.type === "res", JSON.stringify(f)).toBe(true);
  expect(codes.has(f.error.code), JSON.stringify(f)).toBe(true);
  expect(f.error.code, JSON.stringify(f)).not.toBe("internal");
  expect(f.error.message).not.toMatch(/\n\s+at /);
}

const validFrames: Array<Record<string, unknown>> = [
  { type: "req", id: 1, method: "agent.info", params: {} },
  { type: "req", id: "x", method: "sessions.list", params: { limit: 5 } },
  { type: "req", id: 2, method: "chat.history", params: { sessionId: "s_nope", limit: 10 } },
  { type: "req", id: 3, method: "vault.read", params: { path: "Welcome.md" } },
  { type: "req", id: 4, method: "vault.search", params: { q: "hello" } },
  { type: "hello", protocol: { min: 2, max: 2 }, keyId: "0123456789abcdef", clientNonce: "n".repeat(43) },
  { type: "auth", proof: "p".repeat(43) },
];

/** A valid frame with one random mutation: a key dropped, a value replaced by a random JSON value, or a key added. */
const mutatedFrame = fc
  .tuple(fc.constantFrom(...validFrames), fc.nat(), fc.jsonValue({ maxDepth: 3 }), fc.string({ maxLength: 12 }), fc.constantFrom("drop", "replace", "add", "nest"))
  .map(([base, i, value, key, op]) => {
    const frame: Record<string, unknown> = structuredClone(base);
    const keys = Object.keys(frame);
    const k = keys[i % keys.length]!;
    if (op === "drop") delete frame[k];
    else if (op === "replace") frame[k] = value;
    else if (op === "add") frame[key || "extra"] = value;
    else frame.params = { ...(frame.params as object), [key || "x"]: value };
    return JSON.stringify(frame);
  });

const anyFrame = fc.oneof(
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? "null"),
  mutatedFrame,
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  fc.constantFrom("", "{", "[", "null", "{}", '{"type":"req"}', '{"type":"event"}', '{"type":"req","id":1e400,"method":"x"}', `{"__proto__":{"type":"req"}}`),
);

describe("the WebSocket decoder under random frames", () => {
  it("answers every frame after the handshake with a typed error or a valid answer, and the connection lives on", async () => {
    const c = await RawWs.connect(`ws://127.0.0.1:${d.port}/ws`, d.token);
    await fc.assert(
      fc.asyncProperty(anyFrame, async (frame) => {
        const answer = c.next((f) => f.type === "res" || f.type === "error", 5000);
        c.send(frame);
        const f = await answer;
        let parsed: any;
        try {
          parsed = JSON.parse(Buffer.isBuffer(frame) ? frame.toString("utf8") : frame);
        } catch {
          /* not JSON */
        }
        expectTyped(f, parsed?.type === "req");
      }),
      { numRuns: 400 },
    );
    expect((await c.request("agent.info", {})).ok).toBe(true);
    await c.close();
  });

  it("closes a connection whose first frame is not a good hello with a typed error, never a crash", async () => {
    await fc.assert(
      fc.asyncProperty(anyFrame, async (frame) => {
        const c = await RawWs.open(`ws://127.0.0.1:${d.port}/ws`);
        c.send(frame);
        const f = await c.next((x) => x.type === "error" || x.type === "welcome", 5000);
        expect(f.type).toBe("error");
        expectTyped(f, false);
        expect([1008, 4401, 4426]).toContain((await c.closed).code);
      }),
      { numRuns: 60 },
    );
    expect((await fetch(`${d.url}/api/health`)).status).toBe(200);
  });
});

/** Path pieces that have broken path handling somewhere: traversal, encodings, separators, reserved names. */
const evilSegment = fc.oneof(
  fc.constantFrom("..", ".", "", "...", "..\\..", "%2e%2e", "%2E%2E%2F", "..%2f", "..%5c", "\\..\\", ".obsidian", ".trash", ".git", "~", "CON", "nul", "a:b",
    "/etc/passwd", "C:\\Windows", "\u0000", "a\u0000b", "\u202e", "note.md", "Welcome.md", "x".repeat(300), "outside.md", "agentd.yaml", ".env", "SOUL.md"),
  fc.string({ unit: "binary", minLength: 1, maxLength: 12 }),
);
const evilPath = fc
  .tuple(fc.array(evilSegment, { minLength: 1, maxLength: 6 }), fc.constantFrom("/", "\\", "//"), fc.boolean(), fc.constantFrom("", ".md", ".MD", ".md/", ".md\u0000.txt"))
  .map(([segs, joiner, lead, ext]) => `${lead ? "/" : ""}${segs.join(joiner)}${ext}`);

/** A raw HTTP request (no URL normalisation: `..` segments reach the server as sent). */
function rawHttp(method: string, path: string, body?: string): Promise<{ status: number; type: string; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { authorization: `Bearer ${d.token}`, "content-type": "application/json" };
    if (body !== undefined) headers["content-length"] = Buffer.byteLength(body); // framed, also for DELETE
    const req = request({ host: "127.0.0.1", port: d.port, method, path, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"] ?? ""), text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * A REST answer must be JSON; an error must carry a known code with the status of that code, never `internal`.
 * The standard doors answer in their standards' shapes: `/v1/*` OpenAI's `{ error: { message, type, param, code } }`
 * (never `server_error` for bad input), `POST /mcp` a JSON-RPC 2.0 error object for a body that is not MCP.
 */
function expectTypedHttp(r: { status: number; type: string; text: string }, what: string): void {
  if (r.status === 204) return;
  expect(r.type, `${what}: ${r.status} ${r.text.slice(0, 200)}`).toContain("application/json");
  const body = JSON.parse(r.text) as { error?: { code: string; message: string } };
  if (r.status < 400) return;
  if (/^\w+ \/v1\//.test(what)) {
    const e = body.error as unknown as { message: string; type: string; code: string | null } | undefined;
    expect(e && typeof e.message === "string" && typeof e.type === "string", `${what}: ${r.text.slice(0, 200)}`).toBe(true);
    expect(r.status, `${what}: ${r.text.slice(0, 200)}`).toBeLessThan(500);
    return;
  }
  if (/^POST \/mcp(\?|$)/.test(what) && (body as { jsonrpc?: string }).jsonrpc === "2.0") {
    expect(typeof (body.error as unknown as { code: number }).code, `${what}: ${r.text.slice(0, 200)}`).toBe("number");
    expect(r.status, `${what}: ${r.text.slice(0, 200)}`).toBeLessThan(500);
    return;
  }
  expect(body.error && codes.has(body.error.code), `${what}: ${r.text.slice(0, 200)}`).toBe(true);
  expect(body.error!.code, `${what}: ${r.text.slice(0, 200)}`).not.toBe("internal");
  expect(httpStatusOf[body.error!.code as ErrorCode], what).toBe(r.status);
}

/** What a vault answer says, over either transport: ok with its result, or the error's code and message. */
type Outcome = { ok: true; result: unknown } | { ok: false; code: string; message: string };

function wsOutcome(f: AnyFrame): Outcome {
  return f.ok ? { ok: true, result: f.result } : { ok: false, code: f.error.code, message: f.error.message };
}

function restOutcome(r: { status: number; text: string }): Outcome {
  const body = JSON.parse(r.text) as { error?: { code: string; message: string } };
  return r.status < 400 ? { ok: true, result: body } : { ok: false, code: body.error!.code, message: body.error!.message };
}

/**
 * The URL of a vault note for `path` in one of three spellings, and whether it names the same note as `path`
 * over the protocol: "encoded" and "segments" do unless URL syntax steps in (`.`/`..` segments, which URL parsing
 * resolves, RFC 3986 §5.2.4; an empty path, which is another route); "raw" leaves `%` and `..` as they are, so
 * only the typed-error rule applies to it.
 */
function noteUrl(path: string, encoding: "raw" | "encoded" | "segments"): { url: string; sameNote: boolean } {
  const url =
    encoding === "encoded" ? encodeURIComponent(path)
    : encoding === "segments" ? path.split("/").map(encodeURIComponent).join("/")
    : path.replace(/[^A-Za-z0-9._~\-/\\%:]/gu, (ch) => encodeURIComponent(ch)).replace(/\\/g, "%5C");
  const full = `/api/vault/notes/${url}`;
  const sameNote = encoding !== "raw" && url !== "" && new URL(full, "http://x").pathname === full;
  return { url, sameNote };
}

describe("the vault under random paths", () => {
  it("never writes outside the vault, and REST and WS give the same answer for every path", async () => {
    const before = snapshot(root);
    const c = await RawWs.connect(`ws://127.0.0.1:${d.port}/ws`, d.token);
    const seen = { written: 0, refused: 0, compared: 0 };
    await fc.assert(
      fc.asyncProperty(evilPath, fc.constantFrom("raw", "encoded", "segments"), async (path, encoding) => {
        const { url, sameNote } = noteUrl(path, encoding);
        const rest = async (method: string, body?: unknown) => {
          const r = await rawHttp(method, `/api/vault/notes/${url}`, body === undefined ? undefined : JSON.stringify(body));
          expectTypedHttp(r, `${method} ${url}`);
          return r;
        };
        const ws = async (method: string, params: Record<string, unknown>) => {
          const res = await c.request(method, params);
          expectTyped(res, true);
          return res;
        };
        // each step over both transports, in an order that leaves them the same state to answer from
        const wWrite = await ws("vault.write", { path, content: "fuzz" });
        seen[wWrite.ok ? "written" : "refused"]++;
        const wRead = await ws("vault.read", { path });
        const rRead = await rest("GET");
        const rWrite = await rest("PUT", { content: "fuzz 2" });
        const wRead2 = await ws("vault.read", { path });
        const rDelete = await rest("DELETE");
        const wDelete = await ws("vault.delete", { path });
        await ws("vault.list", { folder: path });
        if (!sameNote) {
          if (wWrite.ok) await ws("vault.delete", { path }); // raw spellings may name another note: clean up
          return;
        }
        seen.compared++;
        expect(restOutcome(rRead), `GET ${url} vs vault.read ${JSON.stringify(path)}`).toEqual(wsOutcome(wRead));
        if (wWrite.ok) {
          expect(restOutcome(rWrite), `PUT ${url}`).toMatchObject({ ok: true, result: { path: (wWrite.result as { path: string }).path, created: false } });
          expect(wRead2.ok && (wRead2.result as { content: string }).content).toBe("fuzz 2");
          expect(restOutcome(rDelete), `DELETE ${url}`).toEqual({ ok: true, result: { path: (wWrite.result as { path: string }).path, deleted: true } });
          expect(wsOutcome(wDelete)).toMatchObject({ ok: false, code: "not_found" });
        } else {
          const refused = wsOutcome(wWrite);
          expect(restOutcome(rWrite), `PUT ${url} vs vault.write ${JSON.stringify(path)}`).toEqual(refused);
          expect(restOutcome(rDelete), `DELETE ${url}`).toEqual(wsOutcome(wDelete));
        }
      }),
      { numRuns: 300 },
    );
    await c.close();
    // both sides were exercised: some random paths are fine notes, most are refused, and most were compared
    expect(seen.written).toBeGreaterThan(0);
    expect(seen.refused).toBeGreaterThan(0);
    expect(seen.compared).toBeGreaterThan(100);
    const after = snapshot(root);
    const added = [...after.keys()].filter((k) => !before.has(k));
    const changed = [...before.keys()].filter((k) => after.has(k) && after.get(k) !== before.get(k));
    expect({ added, changed }).toEqual({ added: [], changed: [] });
    expect(readFileSync(join(root, "outside.md"), "utf8")).toBe(CANARY);
    expect(readFileSync(join(root, "agent", "outside.md"), "utf8")).toBe(CANARY);
    expect((await fetch(`${d.url}/api/health`)).status).toBe(200);
  });
});

describe("REST and WS under the same random input", () => {
  /**
   * Read routes with a protocol twin: the same random parameters (numbers as numbers over WS, as text in the
   * query string over REST) must give the same answer, or errors with the same code and the same field.
   */
  const twins = [
    { rest: (p: Record<string, unknown>) => `/api/sessions/${encodeURIComponent(String(p.sessionId))}/messages`, method: "chat.history", keys: ["sessionId", "limit", "beforeId"], pathKeys: ["sessionId"] },
    { rest: () => "/api/sessions", method: "sessions.list", keys: ["limit"], pathKeys: [] },
    { rest: () => "/api/vault/search", method: "vault.search", keys: ["q", "tag", "limit"], pathKeys: [] },
    { rest: () => "/api/vault/notes", method: "vault.list", keys: ["folder"], pathKeys: [] },
    { rest: (p: Record<string, unknown>) => `/api/vault/notes/${encodeURIComponent(String(p.path))}`, method: "vault.read", keys: ["path"], pathKeys: ["path"] },
  ];
  const text = fc.oneof(fc.string({ maxLength: 12 }), evilSegment, fc.constantFrom("Welcome.md", "hello", "#tag", "s_nope", "x".repeat(1100)));
  const value = (key: string) => (key === "limit" ? fc.oneof(fc.integer({ min: -5, max: 2000 }), fc.constant(20)) : text);
  const params = fc.constantFrom(...twins).chain((t) =>
    fc.record(Object.fromEntries(t.keys.map((k) => [k, value(k)])), { requiredKeys: t.pathKeys }).map((p) => ({ t, p: p as Record<string, unknown> })),
  );

  it("gives the same answer over both for the read routes", async () => {
    const c = await RawWs.connect(`ws://127.0.0.1:${d.port}/ws`, d.token);
    let same = 0;
    await fc.assert(
      fc.asyncProperty(params, async ({ t, p }) => {
        const path = t.rest(p);
        if (t.pathKeys.some((k) => String(p[k]) === "" || [".", ".."].includes(String(p[k])))) return; // no such URL
        const query = new URLSearchParams(Object.entries(p).filter(([k]) => !t.pathKeys.includes(k)).map(([k, v]) => [k, String(v)])).toString();
        const r = await rawHttp("GET", `${path}${query ? `?${query}` : ""}`);
        expectTypedHttp(r, `GET ${path}?${query}`);
        const w = await c.request(t.method, p);
        expectTyped(w, true);
        const rest = restOutcome(r);
        const ws = wsOutcome(w);
        const what = `GET ${path}?${query} vs ${t.method} ${JSON.stringify(p)}`;
        if (rest.ok && ws.ok) expect(rest.result, what).toEqual(ws.result);
        else {
          expect({ ok: rest.ok, code: rest.ok ? undefined : rest.code }, what).toEqual({ ok: ws.ok, code: ws.ok ? undefined : ws.code });
          // the field named in the error is the same (REST says "query.limit: …", WS "params.limit: …")
          expect((rest as { message: string }).message.replace(/^(query|path|params)\./, ""), what).toBe((ws as { message: string }).message.replace(/^(query|path|params)\./, ""));
        }
        same++;
      }),
      { numRuns: 200 },
    );
    await c.close();
    expect(same).toBeGreaterThan(150);
  });
});

describe("the REST routes under random input", () => {
  /** Routes a fuzzer must not drive: they restart or update the daemon, or rewrite its config. */
  const excluded = (method: string, path: string) => /^\/api\/(restart|update)$/.test(path) || (path.startsWith("/api/config") && method !== "get");

  it("answers random bodies, queries and path parameters with JSON and typed errors", async () => {
    const doc = (await (await d.api("/api/openapi.json")).json()) as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).filter((m) => !excluded(m, path)).map((m) => ({ method: m.toUpperCase(), path })));
    expect(routes.length).toBeGreaterThan(5);
    const param = fc.oneof(evilSegment, fc.string({ maxLength: 20 })).map((s) => encodeURIComponent(s));
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? "null"),
      fc.string({ unit: "binary", maxLength: 100 }),
      fc.constant(""),
    );
    const query = fc.dictionary(fc.constantFrom("limit", "days", "q", "level", "since", "beforeId", "tag", "folder", "x"), fc.oneof(fc.string({ maxLength: 10 }), fc.integer().map(String)), { maxKeys: 3 });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), param, body, query, async (route, p, b, q) => {
        const qs = new URLSearchParams(q).toString();
        const path = route.path.replace(/\{[^}]+\}/g, p) + (qs ? `?${qs}` : "");
        const r = await rawHttp(route.method, path, route.method === "GET" ? undefined : b);
        if (route.path === "/metrics" && r.status === 200) return; // Prometheus text format
        expectTypedHttp(r, `${route.method} ${path}`);
      }),
      { numRuns: 300 },
    );
    expect((await fetch(`${d.url}/api/health`)).status).toBe(200);
  });
});
