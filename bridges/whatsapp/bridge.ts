/**
 * The WhatsApp bridge's core (issue 6): one Baileys socket at a time, made by an injected factory; new messages
 * (`messages.upsert` of type `notify`, not from this account) forwarded to the agent through the shared
 * {@link BridgeRuntime}; a new socket after every close except `loggedOut`, which stops the bridge with a message
 * saying how to pair again; the pairing QR code shown whenever Baileys asks for it.
 */
import { DisconnectReason, downloadMediaMessage, type WAMessage } from "@whiskeysockets/baileys";
import type { AgentdClient } from "../../protocol/client.js";
import type { Endpoint } from "../../protocol/endpoint.js";
import { BridgeRuntime, type BridgeLogger } from "../common/bridge-runtime.js";
import { BridgeConfigError } from "../common/bridge-host.js";
import { Backoff, sleep, type BackoffOptions } from "../../protocol/backoff.js";
import { whatsappAdapter, type SocketAccess } from "./adapter.js";
import { toIncoming, type WhatsAppIncoming } from "./inbound.js";
import { removeQr, showQr, type WaSocket } from "./socket.js";

/** What {@link runWhatsAppBridge} needs; the socket factory is injected so tests can use a stand-in. */
export interface WhatsAppBridgeDeps {
  /** Opens a new socket (default: Baileys with the auth state in the agent folder). Called again on each reconnect. */
  createSocket: () => Promise<WaSocket>;
  client: AgentdClient;
  logger: BridgeLogger;
  endpoint?: () => Promise<Endpoint>;
  /** Most characters per sent message (`channels.whatsapp.maxMessageChars`). */
  maxMessageChars: number;
  /** Where the pairing QR code is saved as a PNG (removed once paired). */
  qrFile: string;
  /** The auth state folder, named in the logged-out message (delete it to pair again). */
  authDir: string;
  /** Where the QR code is printed; default stderr. */
  qrOut?: NodeJS.WritableStream;
  /** Downloads a message's media; default Baileys `downloadMediaMessage`. */
  downloadMedia?: (message: WAMessage) => Promise<Uint8Array>;
  /** Delays between reconnects; default 1 s doubling to 30 s (a `restartRequired` close reconnects at once). */
  retry?: BackoffOptions;
  signal: AbortSignal;
}

/** The status code of a `connection.update` close (`lastDisconnect.error` is a Boom: `output.statusCode`). */
function closeCode(error: unknown): number | undefined {
  return (error as { output?: { statusCode?: number } } | undefined)?.output?.statusCode;
}

/**
 * Runs the WhatsApp bridge until `deps.signal` aborts (resolves) or WhatsApp logs the device out (rejects with a
 * {@link BridgeConfigError} telling how to pair again). Messages are handled each on its own.
 */
export async function runWhatsAppBridge(deps: WhatsAppBridgeDeps): Promise<void> {
  const { client, logger, signal } = deps;
  const backoff = new Backoff({ initialMs: 1000, jitter: "equal", ...deps.retry });
  let sock: WaSocket | undefined;
  let open = false;
  let stopping = false;
  let openWaiters: Array<() => void> = [];
  let fatal: (err: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => (fatal = reject));
  failed.catch(() => {});

  const sockets: SocketAccess = {
    current: () => (open ? sock : undefined),
    whenOpen: (timeoutMs) => {
      if (open && sock) return Promise.resolve(sock);
      if (stopping) return Promise.reject(new Error("the bridge is stopping"));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          openWaiters = openWaiters.filter((w) => w !== wake);
          reject(new Error("WhatsApp is not connected"));
        }, timeoutMs);
        const wake = (): void => {
          clearTimeout(timer);
          if (open && sock) resolve(sock);
          else reject(new Error("the bridge is stopping"));
        };
        openWaiters.push(wake);
      });
    },
  };
  const adapter = whatsappAdapter(sockets, deps.maxMessageChars);
  const runtime = new BridgeRuntime<WhatsAppIncoming>({
    client, adapter, logger,
    ...(deps.endpoint ? { endpoint: deps.endpoint } : {}),
  });
  const download = deps.downloadMedia ?? ((m: WAMessage) => downloadMediaMessage(m, "buffer", {}));

  const onMessage = (s: WaSocket, m: WAMessage): void => {
    const self = s.user;
    if (!self) return;
    const converted = toIncoming(m, { id: self.id, lid: self.lid });
    if (!converted) return;
    const { msg, media } = converted;
    adapter.remember(msg);
    void runtime.receive(msg, media ? [{ filename: media.filename, mime: media.mime, bytes: media.bytes, fetch: async () => new Uint8Array(await download(m)) }] : []);
  };

  const connect = async (): Promise<void> => {
    let s: WaSocket;
    try {
      s = await deps.createSocket();
    } catch (err) {
      const delayMs = backoff.next();
      logger.warn({ err: (err as Error).message, delayMs }, "could not open a WhatsApp socket; retrying");
      await sleep(delayMs, signal);
      if (!stopping && !signal.aborted) void connect();
      return;
    }
    if (stopping || signal.aborted) {
      void s.end(undefined);
      return;
    }
    sock = s;
    s.ev.on("messages.upsert", ({ messages, type }) => {
      if (s !== sock || type !== "notify") return;
      for (const m of messages) onMessage(s, m);
    });
    s.ev.on("connection.update", (u) => {
      if (s !== sock) return;
      if (u.qr) {
        showQr(u.qr, deps.qrFile, deps.qrOut ?? process.stderr)
          .then(() => logger.info({ file: deps.qrFile }, "WhatsApp pairing: scan the QR code"))
          .catch((err: unknown) => logger.warn({ err: (err as Error).message }, "could not show the QR code"));
      }
      if (u.connection === "open") {
        open = true;
        backoff.reset();
        void removeQr(deps.qrFile);
        logger.info({ account: s.user?.id.split(":")[0] }, "WhatsApp connected");
        for (const wake of openWaiters.splice(0)) wake();
      } else if (u.connection === "close") {
        open = false;
        sock = undefined;
        if (stopping) return;
        const code = closeCode(u.lastDisconnect?.error);
        if (code === DisconnectReason.loggedOut) {
          fatal(new BridgeConfigError(`WhatsApp logged this device out: delete ${deps.authDir} and start the bridge again to scan a new QR code`));
          return;
        }
        const delayMs = code === DisconnectReason.restartRequired ? 0 : backoff.next();
        logger.warn({ code, delayMs }, "WhatsApp connection closed; reconnecting");
        void sleep(delayMs, signal).then(() => (stopping || signal.aborted ? undefined : connect()));
      }
    });
  };

  const stopped = new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
  runtime.start();
  try {
    await connect();
    await Promise.race([stopped, failed]);
  } finally {
    await runtime.idle(2_000);
    stopping = true;
    for (const wake of openWaiters.splice(0)) wake();
    const last = sock;
    sock = undefined;
    open = false;
    if (last) await Promise.resolve(last.end(undefined)).catch(() => {});
  }
}
