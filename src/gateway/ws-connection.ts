import type { WebSocket } from "ws";
import type { Logger } from "pino";
import { z } from "zod";
import { ClientFrame, CloseCode, RequestId, type ServerFrame } from "../../protocol/frames.js";
import { clientProofOf, newNonce, proofMatches, serverProofOf } from "../../protocol/handshake.js";
import type { WireError } from "../../protocol/errors.js";
import { PROTOCOL_VERSION, MIN_PROTOCOL_VERSION } from "../../protocol/version.js";
import { events } from "../../protocol/events.js";
import { toWireError } from "../errors.js";
import type { TokenKey, TokenKeys } from "./token-keys.js";
import type { Principal } from "./scopes.js";
import type { WebSession } from "./web-auth.js";
import { issuePath, type DaemonRegistry } from "./method-registry.js";
import { FrameLimiter } from "./rate-limit.js";
import { MAX_JSON_DEPTH, nestedDeeperThan } from "./json-depth.js";
import { TickBatch } from "./tick-batch.js";

/** The version range of any `hello`, old or new, read before the strict check (see {@link serveConnection}). */
const HelloRange = z.object({ type: z.literal("hello"), protocol: z.object({ min: z.number().int(), max: z.number().int() }) });

/** The highest version both sides speak, or undefined. */
function commonVersion(range: { min: number; max: number }): number | undefined {
  const version = Math.min(range.max, PROTOCOL_VERSION);
  return version >= Math.max(range.min, MIN_PROTOCOL_VERSION) ? version : undefined;
}

/** What a WebSocket connection needs from the daemon. */
export interface WsDeps {
  /** Where the handshake looks up the key of a `hello`'s `keyId` (owner, named and bridge tokens); the token's scopes bound every call of the connection. */
  keys: TokenKeys;
  agentName: string;
  version: string;
  registry: DaemonRegistry;
  logger: Logger;
  /** Close a connection whose unsent bytes pass this (a client that stopped reading). Default 8 MiB. */
  maxBufferedBytes?: number;
  /** Time allowed for the whole handshake (hello, challenge, auth), in ms. Default 10 000. */
  handshakeTimeoutMs?: number;
  /** Frames per second per connection (token bucket rate), config `server.maxFramesPerSecond`. Default 200. */
  maxFramesPerSecond?: number;
  /** Frames at once (token bucket size), config `server.frameBurst`. Default 400. */
  frameBurst?: number;
  /**
   * The browser session whose cookie came with the upgrade (same Origin and a bound Host, checked by the server):
   * a `hello` with `session: "cookie"` is then answered with `welcome` at once (docs/protocol.md "Browsers").
   */
  webSession?: WebSession | undefined;
}

/**
 * Serves one WebSocket connection: the challenge–response handshake (protocol 2, see protocol/handshake.ts:
 * `hello` with version range, key id and client nonce → `challenge` with the server's proof → `auth` with the
 * client's proof → `welcome`), then request frames dispatched
 * through the method registry, with run events pushed to the connection that started (or re-attached to) a run.
 * A malformed frame gets an error frame naming the bad field and the connection lives on; an unknown key, a wrong
 * proof or no common version (a protocol 1 client, which sends its token in `hello`) closes with 4401 / 4426
 * after a typed error frame. Frames over `maxFramesPerSecond` (burst `frameBurst`)
 * get a `rate_limited` error (a `res` for a request with an id, else an error frame); a client that keeps sending
 * while limited is closed with 1008 and a reason.
 */
export function serveConnection(ws: WebSocket, deps: WsDeps): void {
  const maxBuffered = deps.maxBufferedBytes ?? 8 * 1024 * 1024;
  let ready = false;
  let closed = false;
  /** Between `challenge` and `auth`: the key and both nonces. */
  let challenged: { entry: TokenKey; clientNonce: string; serverNonce: string; version: number } | undefined;
  /** Who the handshake proved the client is: every call of the connection runs with this token's scopes. */
  let principal: Principal | undefined;
  const rate = deps.maxFramesPerSecond ?? 200;
  const burst = deps.frameBurst ?? 400;
  const limiter = new FrameLimiter(rate, burst);

  // Frames of one turn of the loop (a request's answer, a run's status, deltas and final event often come
  // together) leave in one write: they are queued and sent corked at the end of the tick (TickBatch), instead of
  // one writev(2) per frame; each frame is serialised once, when it is queued.
  const socket = (ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
  const frames = new TickBatch<string>((batch) => {
    if (closed || ws.readyState !== ws.OPEN) return;
    socket?.cork();
    for (const f of batch) ws.send(f);
    socket?.uncork();
  });
  const send = (frame: ServerFrame): void => {
    if (closed || ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > maxBuffered) {
      closed = true;
      frames.clear();
      deps.logger.warn("closing a connection that stopped reading (slow consumer)");
      ws.close(CloseCode.slowConsumer, "slow consumer: too many unsent bytes");
      return;
    }
    frames.push(JSON.stringify(frame));
  };
  const fail = (error: WireError, closeCode?: number): void => {
    send({ type: "error", error });
    if (closeCode) {
      frames.flushNow(); // the error frame goes before the close frame
      closed = true;
      ws.close(closeCode, error.message.slice(0, 120));
    }
  };

  const handshakeTimer = setTimeout(() => fail({ code: "unauthorized", message: "no handshake in time" }, CloseCode.policyViolation), deps.handshakeTimeoutMs ?? 10_000);

  const subscriber = (event: string, payload: unknown, seq: number) => send({ type: "event", event, payload, seq });
  const connection = new AbortController();

  function welcome(version: number): void {
    send({
      type: "welcome", server: { name: "agentd", version: deps.version }, agent: { name: deps.agentName },
      protocol: version, methods: deps.registry.names(), events: Object.keys(events),
    });
  }

  function refuseVersion(range: { min: number; max: number }): void {
    const old = range.max < MIN_PROTOCOL_VERSION ? " (protocol 1 clients send the token in hello; this agentd never accepts that; update the client to agentd ${deps.version})" : "";
    fail({
      code: "unsupported_version",
      message: `this agentd speaks protocol ${MIN_PROTOCOL_VERSION}..${PROTOCOL_VERSION}, the client ${range.min}..${range.max}${old}`,
      details: { min: MIN_PROTOCOL_VERSION, max: PROTOCOL_VERSION },
    }, CloseCode.unsupportedVersion);
  }

  ws.on("message", (data, isBinary) => {
    const verdict = limiter.check();
    if (verdict !== "ok") return refuse(verdict, data, isBinary);
    let raw: unknown;
    try {
      raw = JSON.parse(isBinary ? Buffer.from(data as Buffer).toString("utf8") : String(data));
    } catch {
      fail({ code: "bad_request", message: "frame is not valid JSON" }, ready ? undefined : CloseCode.policyViolation);
      return;
    }
    if (nestedDeeperThan(raw)) {
      const error: WireError = { code: "bad_request", message: `frame is nested deeper than ${MAX_JSON_DEPTH} levels`, details: { path: "(root)", maxDepth: MAX_JSON_DEPTH } };
      const id = (raw as { id?: unknown } | null)?.id;
      if (ready && RequestId.safeParse(id).success) send({ type: "res", id: id as RequestId, ok: false, error });
      else fail(error, ready ? undefined : CloseCode.policyViolation);
      return;
    }
    if (!ready && !challenged) {
      // the version comes first: a protocol 1 client sends its token in hello and must learn to update
      const range = HelloRange.safeParse(raw);
      if (range.success && commonVersion(range.data.protocol) === undefined) return refuseVersion(range.data.protocol);
    }
    const parsed = ClientFrame.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const path = issuePath(issue.path) || "(root)";
      const error: WireError = { code: "bad_request", message: `invalid frame: ${path}: ${issue.message}`, details: { path } };
      const id = (raw as { id?: unknown } | null)?.id;
      // echo the id only when it is one (1e400 parses as Infinity, which would go out as `id: null`)
      if (ready && RequestId.safeParse(id).success) send({ type: "res", id: id as RequestId, ok: false, error });
      else fail(error, ready ? undefined : CloseCode.policyViolation);
      return;
    }
    const frame = parsed.data;
    if (frame.type === "hello") {
      if (ready || challenged) return fail({ code: "bad_request", message: "already greeted" }, ready ? undefined : CloseCode.policyViolation);
      const version = commonVersion(frame.protocol);
      if (version === undefined) return refuseVersion(frame.protocol);
      if (frame.session === "cookie") {
        clearTimeout(handshakeTimer);
        if (!deps.webSession) return fail({ code: "unauthorized", message: "no signed-in browser session came with this connection" }, CloseCode.unauthorized);
        // the browser's session holds the scopes of the token that signed it in
        principal = { name: "web", scopes: deps.webSession.scopes, kind: "token" };
        ready = true;
        return welcome(version);
      }
      const entry = deps.keys.byKeyId(frame.keyId!);
      if (!entry) return fail({ code: "unauthorized", message: "unknown token (no key with this keyId)" }, CloseCode.unauthorized);
      const serverNonce = newNonce();
      challenged = { entry, clientNonce: frame.clientNonce!, serverNonce, version };
      send({ type: "challenge", serverNonce, serverProof: serverProofOf(entry.key, frame.clientNonce!, serverNonce) });
      return;
    }
    if (frame.type === "auth") {
      if (ready || !challenged) return fail({ code: "bad_request", message: "auth comes once, after the challenge" }, ready ? undefined : CloseCode.policyViolation);
      const { entry, clientNonce, serverNonce, version } = challenged;
      challenged = undefined;
      clearTimeout(handshakeTimer);
      if (!proofMatches(clientProofOf(entry.key, serverNonce, clientNonce), frame.proof)) {
        return fail({ code: "unauthorized", message: "wrong token (the proof does not match)" }, CloseCode.unauthorized);
      }
      principal = { name: entry.name, scopes: entry.scopes, kind: entry.kind };
      ready = true;
      return welcome(version);
    }
    if (!ready) return fail({ code: "unauthorized", message: challenged ? "the frame after challenge must be auth" : "the first frame must be hello" }, CloseCode.policyViolation);
    deps.registry.dispatch(frame.method, frame.params, { transport: "ws", subscriber, principal: principal!, signal: connection.signal }).then(
      (result) => send({ type: "res", id: frame.id, ok: true, result }),
      (err: unknown) => {
        const error = toWireError(err);
        if (error.code === "internal") deps.logger.error({ err, method: frame.method }, "method failed");
        send({ type: "res", id: frame.id, ok: false, error });
      },
    );
  });
  function refuse(verdict: "limited" | "abuse", data: unknown, isBinary: boolean): void {
    if (closed) return;
    const message = `more than ${rate} frames per second (burst ${burst})`;
    if (verdict === "abuse") {
      deps.logger.warn({ maxFramesPerSecond: rate, frameBurst: burst }, "closing a connection that kept sending over the frame rate limit");
      return fail({ code: "rate_limited", message: `too many frames: ${message}` }, CloseCode.policyViolation);
    }
    const error: WireError = { code: "rate_limited", message: `slow down: ${message}`, retryable: true, details: { maxFramesPerSecond: rate, frameBurst: burst } };
    let id: unknown;
    try {
      id = (JSON.parse(isBinary ? Buffer.from(data as Buffer).toString("utf8") : String(data)) as { id?: unknown } | null)?.id;
    } catch {
      /* not JSON: answer with an error frame */
    }
    if (ready && RequestId.safeParse(id).success) send({ type: "res", id: id as RequestId, ok: false, error });
    else send({ type: "error", error });
  }

  ws.on("close", () => {
    closed = true;
    connection.abort();
    clearTimeout(handshakeTimer);
  });
  ws.on("error", (err) => deps.logger.debug({ err }, "websocket error"));
}
