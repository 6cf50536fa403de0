/**
 * A bare WebSocket client of the agentd protocol for tests and benchmarks (test fixture, not product code): it
 * sends exactly the frames it is told to (including broken ones), records every server frame, and runs chat
 * turns with as little client-side work as possible (no schema validation), so benchmarks measure the daemon.
 * Built on the `ws` package. Frame shapes: protocol/frames.ts.
 */
import { WebSocket, type RawData } from "ws";
import { clientProofOf, keyIdOfToken, keyOfToken, newNonce, proofMatches, serverProofOf } from "../../protocol/handshake.js";
import { PROTOCOL_VERSION } from "../../protocol/version.js";

/** A server frame as parsed JSON (not validated). */
export type AnyFrame = { type: string; [k: string]: any };

/** How a connection ended: the close code and reason the client saw. */
export interface CloseInfo {
  code: number;
  reason: string;
}

/** The end of one chat turn: `run.done` or `run.error` payload, every event of the run in arrival order, timings. */
export interface TurnResult {
  runId: string;
  sessionId: string;
  final: { event: "run.done" | "run.error"; payload: any };
  events: Array<{ event: string; payload: any; seq: number }>;
  /** Milliseconds from sending `chat.send` to the first `run.delta`, NaN when there was none. */
  firstDeltaMs: number;
  /** Milliseconds from sending `chat.send` to `run.done`/`run.error`. */
  totalMs: number;
}

interface Waiter {
  pred: (f: AnyFrame) => boolean;
  resolve: (f: AnyFrame) => void;
}

/** One raw connection to `ws://HOST:PORT/ws`. */
export class RawWs {
  /** Every frame received, in order (a test may inspect or clear it). Not kept when `record` is false. */
  readonly frames: AnyFrame[] = [];
  /** Resolves when the connection closes, with the code and reason. */
  readonly closed: Promise<CloseInfo>;
  private waiters: Waiter[] = [];
  private nextId = 1;
  private runs = new Map<string, (f: AnyFrame) => void>();
  private early = new Map<string, AnyFrame[]>();

  private constructor(readonly ws: WebSocket, private readonly record: boolean) {
    this.closed = new Promise((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on("message", (data: RawData) => this.onFrame(JSON.parse(data.toString()) as AnyFrame));
    ws.on("error", () => undefined);
  }

  /**
   * Opens a connection (no handshake yet). `url` is `ws://127.0.0.1:PORT/ws`; `record` (default true) keeps every
   * frame in {@link frames}. Rejects when the upgrade fails.
   */
  static open(url: string, opts: { record?: boolean; maxPayload?: number } = {}): Promise<RawWs> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: opts.maxPayload ?? 256 * 1024 * 1024 });
      const client = new RawWs(ws, opts.record ?? true);
      ws.once("open", () => resolve(client));
      ws.once("error", reject);
      ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
    });
  }

  /** Opens a connection and performs the handshake; rejects with the error frame's message when refused. */
  static async connect(url: string, token: string, opts: { record?: boolean } = {}): Promise<RawWs> {
    const c = await RawWs.open(url, opts);
    const welcome = await c.hello(token);
    if (welcome.type !== "welcome") throw new Error(`handshake refused: ${JSON.stringify(welcome)}`);
    return c;
  }

  /** Sends a frame: an object is JSON-encoded, a string or Buffer is sent as is (text / binary). */
  send(frame: unknown): void {
    if (typeof frame === "string") this.ws.send(frame);
    else if (Buffer.isBuffer(frame)) this.ws.send(frame, { binary: true });
    else this.ws.send(JSON.stringify(frame));
  }

  /**
   * Runs the challenge–response handshake (protocol/handshake.ts): `hello` with the token's key id, checks the
   * server's proof (throws when it is wrong), answers with `auth`. Resolves with the `welcome` frame, or with the
   * `error` frame the server sent instead (at `hello` or at `auth`).
   */
  async hello(token: string, protocol = { min: PROTOCOL_VERSION, max: PROTOCOL_VERSION }): Promise<AnyFrame> {
    const clientNonce = newNonce();
    const first = this.next((f) => f.type === "challenge" || f.type === "welcome" || f.type === "error");
    this.send({ type: "hello", protocol, keyId: keyIdOfToken(token), clientNonce, client: { name: "raw-ws" } });
    const challenge = await first;
    if (challenge.type !== "challenge") return challenge;
    const key = keyOfToken(token);
    if (!proofMatches(serverProofOf(key, clientNonce, challenge.serverNonce), challenge.serverProof)) throw new Error("the server's proof is wrong");
    const answer = this.next((f) => f.type === "welcome" || f.type === "error");
    this.send({ type: "auth", proof: clientProofOf(key, challenge.serverNonce, clientNonce) });
    return answer;
  }

  /** Sends a request and resolves with its `res` frame (ok or not). */
  request(method: string, params: unknown, timeoutMs = 10_000): Promise<AnyFrame> {
    const id = this.nextId++;
    const res = this.next((f) => f.type === "res" && f.id === id, timeoutMs);
    this.send({ type: "req", id, method, params });
    return res;
  }

  /** Resolves with the next frame (already received or future) matching `pred`; rejects after `timeoutMs`. */
  next(pred: (f: AnyFrame) => boolean, timeoutMs = 10_000): Promise<AnyFrame> {
    const seen = this.frames.find(pred);
    if (seen) {
      this.frames.splice(this.frames.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no matching frame within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = { pred, resolve: (f) => (clearTimeout(timer), resolve(f)) };
      this.waiters.push(waiter);
    });
  }

  /**
   * Runs one chat turn: `chat.send` with `text`, `idempotencyKey` and an optional `sessionId`, then collects the
   * run's events until `run.done`/`run.error`. Rejects when `chat.send` itself is refused (with the wire error).
   */
  turn(text: string, opts: { idempotencyKey: string; sessionId?: string; timeoutMs?: number }): Promise<TurnResult> {
    const t0 = performance.now();
    const id = this.nextId++;
    let firstDeltaMs = Number.NaN;
    const events: TurnResult["events"] = [];
    return new Promise<TurnResult>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`turn "${text.slice(0, 40)}" did not end within ${opts.timeoutMs ?? 30_000} ms`)), opts.timeoutMs ?? 30_000);
      let runId = "";
      let sessionId = "";
      const onEvent = (f: AnyFrame): void => {
        if (f.event === "run.delta" && Number.isNaN(firstDeltaMs)) firstDeltaMs = performance.now() - t0;
        events.push({ event: f.event, payload: f.payload, seq: f.seq });
        if (f.event === "run.done" || f.event === "run.error") {
          clearTimeout(timer);
          this.runs.delete(runId);
          resolve({ runId, sessionId, final: { event: f.event, payload: f.payload }, events, firstDeltaMs, totalMs: performance.now() - t0 });
        }
      };
      this.pendingRes.set(id, (res) => {
        if (!res.ok) {
          clearTimeout(timer);
          reject(Object.assign(new Error(res.error?.message ?? "refused"), { wire: res.error }));
          return;
        }
        runId = res.result.runId;
        sessionId = res.result.sessionId;
        this.runs.set(runId, onEvent);
        const early = this.early.get(runId) ?? [];
        this.early.delete(runId);
        for (const f of early) onEvent(f);
      });
      this.send({ type: "req", id, method: "chat.send", params: { text, idempotencyKey: opts.idempotencyKey, ...(opts.sessionId ? { sessionId: opts.sessionId } : {}) } });
    });
  }

  /** Closes the connection (code 1000) and waits for the close. */
  async close(): Promise<CloseInfo> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000);
    return this.closed;
  }

  private pendingRes = new Map<number, (f: AnyFrame) => void>();

  private onFrame(f: AnyFrame): void {
    if (f.type === "res" && typeof f.id === "number") {
      const cb = this.pendingRes.get(f.id);
      if (cb) {
        this.pendingRes.delete(f.id);
        return cb(f);
      }
    }
    if (f.type === "event" && typeof f.payload?.runId === "string") {
      const cb = this.runs.get(f.payload.runId);
      if (cb) return cb(f);
      if (this.pendingRes.size > 0) {
        // events of a run can arrive before the `res` that names it
        const list = this.early.get(f.payload.runId) ?? [];
        list.push(f);
        this.early.set(f.payload.runId, list);
        if (!this.record) return;
      }
    }
    const w = this.waiters.find((x) => x.pred(f));
    if (w) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      return w.resolve(f);
    }
    if (this.record) this.frames.push(f);
  }
}
