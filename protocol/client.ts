import { CloseCode, ServerFrame, type WelcomeFrame, type ResFrame, type RequestId } from "./frames.js";
import { clientProofOf, keyIdOfToken, keyOfToken, newNonce, proofMatches, serverProofOf } from "./handshake.js";
import type { WireError } from "./errors.js";
import { methods, type MethodName, type ParamsIn, type Result } from "./methods.js";
import type { RunEvent, EventPayload } from "./events.js";
import { resolveEndpoint, type Endpoint } from "./endpoint.js";
import { EventQueue } from "./event-queue.js";
import { Backoff } from "./backoff.js";
import { PROTOCOL_VERSION, MIN_PROTOCOL_VERSION } from "./version.js";

/** A wire error raised on the client side: `code`, `message`, `retryable`, `details` as the server sent them. */
export class ProtocolError extends Error {
  readonly code: WireError["code"];
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;
  constructor(err: WireError) {
    super(err.message);
    this.name = "ProtocolError";
    this.code = err.code;
    this.retryable = err.retryable ?? false;
    this.details = err.details;
  }
}

/**
 * Options of {@link AgentdClient}. Give `agentDir` (port from `.port`, token from `.env`, re-read on every
 * reconnect) or `url` + `token`. `requestTimeoutMs` (default 30 000) counts from when a request is written to
 * the socket; requests made while disconnected wait for the connection. Reconnects use exponential backoff
 * from `backoffInitialMs` (250) to `backoffMaxMs` (5 000) unless `reconnect` is false. `handshakeTimeoutMs`
 * (10 000) bounds the handshake: a server that does not prove itself in time is dropped like a wrong one.
 */
export interface ClientOptions {
  agentDir?: string;
  url?: string;
  token?: string;
  clientName?: string;
  requestTimeoutMs?: number;
  reconnect?: boolean;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  handshakeTimeoutMs?: number;
  /**
   * `"cookie"`: a browser page of the daemon's own origin (the web app). `url` is the page's origin; the browser
   * sends the session cookie with the upgrade and `hello` carries `session: "cookie"` instead of a key id, so no
   * token is needed (docs/protocol.md "Browsers").
   */
  session?: "cookie";
}

/** A chat run as the client sees it: ids, and its events as an async iterator that ends after `run.done`/`run.error`. */
export interface ChatRun {
  runId: string;
  sessionId: string;
  duplicate: boolean;
  events: AsyncIterable<RunEvent>;
  /** Resolves with the `run.done` payload, or rejects with a {@link ProtocolError} on `run.error`. Consumes `events`. */
  result(): Promise<EventPayload<"run.done">>;
}

interface Pending {
  method: string;
  params: unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  timer?: NodeJS.Timeout;
  timeoutMs: number;
}

interface ActiveRun {
  queue: EventQueue<RunEvent>;
  lastSeq: number;
  params: unknown;
}

type State = "idle" | "connecting" | "open" | "closed";

/** Runs whose events may wait for their `chat.send` answer at once; older ones are dropped. */
const MAX_EARLY_RUNS = 64;

/**
 * The protocol client used by `agentd chat`, the bridges and scripts: handshake, request correlation with
 * timeouts, run events as async iterators, reconnect with backoff. After a reconnect it resends `chat.send`
 * for runs that had not finished, with the same idempotency key, so the daemon answers each message once;
 * events already seen (by `seq`) are dropped.
 */
export class AgentdClient {
  private ws: WebSocket | undefined;
  private endpoint: Endpoint | undefined;
  private state: State = "idle";
  private welcome: WelcomeFrame | undefined;
  private nextId = 1;
  private pending = new Map<RequestId, Pending>();
  private outbox: Array<{ id: RequestId; pending: Pending }> = [];
  private runs = new Map<string, ActiveRun>();
  private early = new Map<string, RunEvent[]>();
  private readonly backoff: Backoff;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private connectWaiters: Array<{ resolve: (w: WelcomeFrame) => void; reject: (e: unknown) => void }> = [];
  private listeners = new Set<(ev: RunEvent) => void>();
  private pushListeners = new Set<(event: string, payload: unknown) => void>();
  private stateListeners = new Set<(s: "open" | "reconnecting" | "closed", err?: Error) => void>();
  readonly opts: Required<Pick<ClientOptions, "requestTimeoutMs" | "reconnect" | "backoffInitialMs" | "backoffMaxMs" | "handshakeTimeoutMs">> & ClientOptions;

  constructor(opts: ClientOptions) {
    this.opts = { requestTimeoutMs: 30_000, reconnect: true, backoffInitialMs: 250, backoffMaxMs: 5_000, handshakeTimeoutMs: 10_000, ...opts };
    this.backoff = new Backoff({ initialMs: this.opts.backoffInitialMs, maxMs: this.opts.backoffMaxMs });
  }

  /** Creates a client and waits for the first handshake. Rejects (without retrying) when the first attempt fails. */
  static async connect(opts: ClientOptions): Promise<AgentdClient> {
    const c = new AgentdClient(opts);
    await c.connect();
    return c;
  }

  /** The server's welcome frame of the current connection, if connected. */
  get info(): WelcomeFrame | undefined {
    return this.welcome;
  }

  /**
   * The endpoint (URLs and token) of the current connection, once its server has proved it holds the token
   * (waits for the handshake like {@link connect}). REST calls with the bearer token (uploads) must use this, never
   * a port read from `.port` on its own: that port may belong to another program after a crash.
   */
  async verifiedEndpoint(): Promise<Endpoint> {
    await this.connect();
    if (!this.endpoint) throw new ProtocolError({ code: "unavailable", message: "not connected to the agent", retryable: true });
    return this.endpoint;
  }

  /**
   * Opens the connection and performs the challenge–response handshake (protocol/handshake.ts): the server must
   * prove it holds the token before the client proves it does; the token never leaves this process. Rejects
   * with a {@link ProtocolError}: `unauthorized` (token refused), `unsupported_version`, or `unavailable` with
   * `details.reason: "server_unverified"` when the server on the port could not prove it is the agent's daemon.
   */
  connect(): Promise<WelcomeFrame> {
    if (this.state === "open" && this.welcome) return Promise.resolve(this.welcome);
    const p = new Promise<WelcomeFrame>((resolve, reject) => this.connectWaiters.push({ resolve, reject }));
    if (this.state !== "connecting") void this.open();
    return p;
  }

  /** Subscribes to every run event this connection receives. Returns an unsubscribe function. */
  onEvent(listener: (ev: RunEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Subscribes to events that belong to no run, such as `delivery.offer` after `deliveries.subscribe`; the
   * payload is as received (validate it with the event's schema in `protocol/events.ts`). Returns an unsubscribe function.
   */
  onPush(listener: (event: string, payload: unknown) => void): () => void {
    this.pushListeners.add(listener);
    return () => this.pushListeners.delete(listener);
  }

  /** Subscribes to connection state changes (`open`, `reconnecting`, `closed`). */
  onState(listener: (s: "open" | "reconnecting" | "closed", err?: Error) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Calls a method and resolves with its validated result; rejects with a {@link ProtocolError}. */
  request<M extends MethodName>(method: M, params: ParamsIn<M>, opts: { timeoutMs?: number } = {}): Promise<Result<M>> {
    if (this.state === "closed") return Promise.reject(new ProtocolError({ code: "unavailable", message: "client is closed" }));
    const id = this.nextId++;
    return new Promise<Result<M>>((resolve, reject) => {
      const pending: Pending = {
        method,
        params,
        resolve: (v) => resolve(methods[method].result.parse(v) as Result<M>),
        reject,
        timeoutMs: opts.timeoutMs ?? this.opts.requestTimeoutMs,
      };
      this.pending.set(id, pending);
      if (this.state === "open") this.write(id, pending);
      else this.outbox.push({ id, pending });
    });
  }

  /**
   * Sends a chat message and returns the run. `idempotencyKey` defaults to a random UUID; pass your own
   * (e.g. the platform's message id) to make resends across process restarts safe.
   */
  async send(text: string, opts: Omit<ParamsIn<"chat.send">, "text" | "idempotencyKey"> & { idempotencyKey?: string } = {}): Promise<ChatRun> {
    const params = { ...opts, text, idempotencyKey: opts.idempotencyKey ?? globalThis.crypto.randomUUID() };
    const res = await this.request("chat.send", params);
    let run = this.runs.get(res.runId);
    if (!run) {
      run = { queue: new EventQueue<RunEvent>(), lastSeq: 0, params };
      this.runs.set(res.runId, run);
      for (const ev of this.early.get(res.runId) ?? []) this.deliver(run, res.runId, ev);
      this.early.delete(res.runId);
    }
    const queue = run.queue;
    return {
      ...res,
      events: queue,
      async result() {
        for await (const ev of queue) {
          if (ev.event === "run.done") return ev.payload;
          if (ev.event === "run.error") throw new ProtocolError(ev.payload.error);
        }
        throw new ProtocolError({ code: "unavailable", message: "connection closed before the run ended" });
      },
    };
  }

  /** Closes the connection for good: pending requests reject, open run iterators end with an error. */
  close(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    clearTimeout(this.reconnectTimer);
    this.ws?.close(1000);
    const err = new ProtocolError({ code: "unavailable", message: "client closed" });
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    this.outbox = [];
    for (const r of this.runs.values()) r.queue.fail(err);
    this.runs.clear();
    for (const w of this.connectWaiters.splice(0)) w.reject(err);
    for (const l of this.stateListeners) l("closed");
  }

  private async open(): Promise<void> {
    this.state = "connecting";
    let endpoint: Endpoint;
    if (this.opts.session === "cookie") return this.openWithCookie();
    try {
      endpoint = await resolveEndpoint(this.opts);
    } catch (err) {
      this.onDrop(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (this.state !== "connecting") return;
    const ws = new WebSocket(endpoint.wsUrl);
    this.ws = ws;
    let welcomed = false;
    let verified = false;
    const key = keyOfToken(endpoint.token);
    const clientNonce = newNonce();
    // the server must prove it knows the key before we prove we do; anything else and we leave, having sent nothing
    const unverified = (why: string): void => {
      clearTimeout(timer);
      if (this.ws !== ws) return;
      this.ws = undefined;
      try {
        ws.close(CloseCode.serverUnverified, "the server could not prove it is the agent's daemon");
      } catch {
        /* already closing */
      }
      this.onDrop(new ProtocolError({
        code: "unavailable", retryable: true,
        message: `the server on ${endpoint.httpUrl} could not prove it is this agent's daemon (${why}); the token was not sent. ` +
          "Is the agent running? A .port left by a crash may point at another program.",
        details: { reason: "server_unverified", url: endpoint.httpUrl },
      }));
    };
    const timer = setTimeout(() => unverified(`no handshake within ${this.opts.handshakeTimeoutMs} ms`), this.opts.handshakeTimeoutMs);
    ws.addEventListener("open", () => {
      ws.send(JSON.stringify({
        type: "hello",
        protocol: { min: MIN_PROTOCOL_VERSION, max: PROTOCOL_VERSION },
        keyId: keyIdOfToken(endpoint.token),
        clientNonce,
        client: { name: this.opts.clientName ?? "agentd-client" },
      }));
    });
    ws.addEventListener("message", (msg) => {
      let frame: ServerFrame;
      try {
        frame = ServerFrame.parse(JSON.parse(String(msg.data)));
      } catch {
        if (!welcomed) unverified("it does not speak the agentd protocol");
        return; // after the handshake, a frame we do not understand is ignored, never fatal
      }
      if (!welcomed) {
        if (frame.type === "challenge" && !verified) {
          if (!proofMatches(serverProofOf(key, clientNonce, frame.serverNonce), frame.serverProof)) return unverified("wrong proof");
          verified = true;
          ws.send(JSON.stringify({ type: "auth", proof: clientProofOf(key, frame.serverNonce, clientNonce) }));
        } else if (frame.type === "welcome" && verified) {
          welcomed = true;
          clearTimeout(timer);
          this.endpoint = endpoint;
          this.onOpen(frame);
        } else if (frame.type === "error") {
          clearTimeout(timer);
          this.fatal(new ProtocolError(frame.error));
        } else {
          unverified(`${frame.type} before it proved itself`);
        }
        return;
      }
      if (frame.type === "res") this.onRes(frame);
      else if (frame.type === "event") this.onEventFrame(frame.event, frame.payload, frame.seq);
    });
    ws.addEventListener("close", (ev) => {
      clearTimeout(timer);
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.endpoint = undefined;
      if (ev.code === CloseCode.unauthorized || ev.code === CloseCode.unsupportedVersion) {
        this.fatal(new ProtocolError({ code: ev.code === CloseCode.unauthorized ? "unauthorized" : "unsupported_version", message: ev.reason || "rejected" }));
        return;
      }
      this.onDrop(new Error(`connection to ${endpoint.wsUrl} closed (${ev.code}${ev.reason ? `: ${ev.reason}` : ""})`));
    });
    ws.addEventListener("error", () => {
      /* a close event follows */
    });
  }

  /** The browser's handshake: the cookie went with the upgrade; `hello` names the cookie session, `welcome` follows. */
  private openWithCookie(): void {
    const page = new URL(this.opts.url ?? "");
    const wsUrl = `${page.protocol === "https:" ? "wss" : "ws"}://${page.host}/ws`;
    const ws = new WebSocket(wsUrl);
    this.ws = ws;
    let welcomed = false;
    ws.addEventListener("open", () => {
      ws.send(JSON.stringify({ type: "hello", protocol: { min: MIN_PROTOCOL_VERSION, max: PROTOCOL_VERSION }, session: "cookie", client: { name: this.opts.clientName ?? "agentd-web" } }));
    });
    ws.addEventListener("message", (msg) => {
      let frame: ServerFrame;
      try {
        frame = ServerFrame.parse(JSON.parse(String(msg.data)));
      } catch {
        return;
      }
      if (!welcomed) {
        if (frame.type === "welcome") {
          welcomed = true;
          this.endpoint = { wsUrl, httpUrl: page.origin, token: "" };
          this.onOpen(frame);
        } else if (frame.type === "error") this.fatal(new ProtocolError(frame.error));
        return;
      }
      if (frame.type === "res") this.onRes(frame);
      else if (frame.type === "event") this.onEventFrame(frame.event, frame.payload, frame.seq);
    });
    ws.addEventListener("close", (ev) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.endpoint = undefined;
      if (ev.code === CloseCode.unauthorized) return this.fatal(new ProtocolError({ code: "unauthorized", message: ev.reason || "signed out" }));
      this.onDrop(new Error(`connection to ${wsUrl} closed (${ev.code}${ev.reason ? `: ${ev.reason}` : ""})`));
    });
  }

  private onOpen(welcome: WelcomeFrame): void {
    const wasReconnect = this.welcome !== undefined;
    this.welcome = welcome;
    this.state = "open";
    this.backoff.reset();
    for (const w of this.connectWaiters.splice(0)) w.resolve(welcome);
    // resend unfinished runs first (same idempotency key: the daemon re-attaches, never runs twice)
    if (wasReconnect) {
      for (const run of this.runs.values()) {
        const id = this.nextId++;
        const pending: Pending = { method: "chat.send", params: run.params, resolve: () => {}, reject: () => {}, timeoutMs: this.opts.requestTimeoutMs };
        this.pending.set(id, pending);
        this.write(id, pending);
      }
    }
    const queued = this.outbox.splice(0);
    for (const { id, pending } of queued) this.write(id, pending);
    for (const l of this.stateListeners) l("open");
  }

  private write(id: RequestId, p: Pending): void {
    clearTimeout(p.timer);
    p.timer = setTimeout(() => {
      if (!this.pending.delete(id)) return;
      p.reject(new ProtocolError({ code: "timeout", message: `${p.method} timed out after ${p.timeoutMs} ms`, retryable: true }));
    }, p.timeoutMs);
    this.ws?.send(JSON.stringify({ type: "req", id, method: p.method, params: p.params }));
  }

  private onRes(frame: ResFrame): void {
    const p = this.pending.get(frame.id);
    if (!p) return;
    this.pending.delete(frame.id);
    clearTimeout(p.timer);
    if (frame.ok) {
      try {
        p.resolve(frame.result);
      } catch (err) {
        p.reject(err);
      }
    } else {
      p.reject(new ProtocolError(frame.error ?? { code: "internal", message: "error without details" }));
    }
  }

  private onEventFrame(event: string, payload: unknown, seq: number): void {
    const ev = { event, payload, seq } as RunEvent;
    const runId = (payload as { runId?: unknown } | null)?.runId;
    if (typeof runId !== "string" || !event.startsWith("run.")) {
      for (const l of this.pushListeners) l(event, payload);
      return;
    }
    const run = this.runs.get(runId);
    if (!run) {
      // events can overtake the chat.send answer: keep them (bounded) until send() registers the run
      const list = this.early.get(runId) ?? [];
      list.push(ev);
      this.early.set(runId, list);
      if (this.early.size > MAX_EARLY_RUNS) this.early.delete(this.early.keys().next().value!);
      return;
    }
    this.deliver(run, runId, ev);
  }

  private deliver(run: ActiveRun, runId: string, ev: RunEvent): void {
    const terminal = ev.event === "run.done" || ev.event === "run.error";
    // replayed after a resend: already seen (a terminal event rebuilt from the database always counts)
    if (ev.seq <= run.lastSeq && !terminal) return;
    run.lastSeq = Math.max(run.lastSeq, ev.seq);
    for (const l of this.listeners) l(ev);
    run.queue.push(ev);
    if (terminal) {
      run.queue.end();
      this.runs.delete(runId);
    }
  }

  private onDrop(err: Error): void {
    if (this.state === "closed") return;
    const first = this.welcome === undefined;
    // requests already on the wire: chat.send and reads are resent after reconnect, other writes fail
    for (const [id, p] of this.pending) {
      if (!p.timer) continue;
      clearTimeout(p.timer);
      p.timer = undefined;
      const spec = methods[p.method as MethodName];
      if (p.method === "chat.send" || !spec?.sideEffect) this.outbox.push({ id, pending: p });
      else {
        this.pending.delete(id);
        p.reject(new ProtocolError({ code: "unavailable", message: `connection lost during ${p.method}`, retryable: true }));
      }
    }
    if (first && this.connectWaiters.length > 0 && !this.opts.reconnect) {
      this.fatal(err);
      return;
    }
    if (!this.opts.reconnect) {
      this.fatal(err);
      return;
    }
    if (first && this.connectWaiters.length > 0) {
      // the very first connection failed: tell the caller at once instead of retrying silently
      const waiters = this.connectWaiters.splice(0);
      for (const w of waiters) w.reject(err);
    }
    this.state = "idle";
    for (const l of this.stateListeners) l("reconnecting", err);
    const delay = this.backoff.next();
    this.reconnectTimer = setTimeout(() => {
      if (this.state === "idle") void this.open();
    }, delay);
  }

  private fatal(err: Error): void {
    for (const w of this.connectWaiters.splice(0)) w.reject(err);
    this.close();
  }
}
