import { ProtocolError, type AgentdClient } from "../../protocol/client.js";
import type { Attachment, ChannelAddress } from "../../protocol/chat.js";
import type { Endpoint } from "../../protocol/endpoint.js";
import { startTypingLoop } from "./typing-loop.js";
import { DEFAULT_MAX_DOWNLOAD_BYTES } from "./download.js";
import { userErrorLine } from "./user-error.js";
import { FileRefusedError, filesRefusedLine, tooLargeLine } from "./file-refusal.js";
import type { WireError } from "../../protocol/errors.js";
import { sleep } from "../../protocol/backoff.js";
import { DeliveryConsumer, type DeliveryAdapter } from "./delivery-consumer.js";
import { LiveReplies, type DraftAdapter, type LiveDraft } from "./live-reply.js";
import type { BridgeLogger } from "./bridge-logger.js";

/** A message a bridge received from its platform, in the shape every bridge shares. */
export interface IncomingMessage {
  /** The platform's message id; with platform and chat it forms the idempotency key. */
  messageId: string;
  channel: ChannelAddress;
  text: string;
  /** Files to upload to the daemon (`POST /api/upload`) and reference in the message. */
  files?: Array<{ data: Uint8Array<ArrayBuffer>; filename: string; mime: string }>;
}

/**
 * What a platform plugs into the runtime: sending deliveries ({@link DeliveryAdapter}: formatting, splitting,
 * sending) and the typing indicator shown while a run streams.
 */
export interface PlatformAdapter<M extends IncomingMessage = IncomingMessage> extends DeliveryAdapter {
  /** Shows the typing indicator once (the runtime refreshes it every `typingIntervalMs`). */
  sendTyping(msg: M): Promise<unknown>;
  typingIntervalMs: number;
  /** Optional: clears the indicator when the run ends (WhatsApp `paused`); failures are ignored. */
  stopTyping?(msg: M): Promise<unknown>;
  /** Optional: live replies (a draft edited as the reply streams, see {@link LiveReplies}); without it, typing only. */
  drafts?: DraftAdapter;
}

/**
 * A file a user sent that the bridge still has to fetch from its platform: `bytes` is the size the platform
 * announced (checked against the 20 MiB cap before fetching), `fetch` downloads it.
 */
export interface PendingFile {
  filename: string;
  mime: string;
  bytes?: number | undefined;
  fetch(): Promise<Uint8Array<ArrayBuffer>>;
}

export type { BridgeLogger } from "./bridge-logger.js";

/** The idempotency key of a platform message: `<platform>:<chat id>[:<thread id>]:<message id>`. */
export function idempotencyKeyOf(msg: IncomingMessage): string {
  const c = msg.channel;
  return [c.platform, c.chatId, ...(c.threadId ? [c.threadId] : []), msg.messageId].join(":");
}

/**
 * Uploads one file to the daemon's `POST /api/upload` (multipart, field `file`) and returns the attachment the
 * daemon describes (path under uploads/, bytes, mime, and a transcription for audio when configured).
 * `endpoint` must come from {@link AgentdClient.verifiedEndpoint} (a server that proved it holds the token):
 * the bearer token goes with the request. Throws {@link FileRefusedError} (with the line for the user) when the
 * daemon refuses the file as too large (413), `ProtocolError` with the daemon's error otherwise.
 */
export async function uploadFile(endpoint: Endpoint, file: { data: Uint8Array<ArrayBuffer>; filename: string; mime: string }): Promise<Attachment> {
  const form = new FormData();
  form.append("file", new Blob([file.data], { type: file.mime }), file.filename);
  const res = await fetch(`${endpoint.httpUrl}/api/upload`, { method: "POST", headers: { authorization: `Bearer ${endpoint.token}` }, body: form });
  if (!res.ok) {
    const body = (await res.json().catch(() => undefined)) as { error?: WireError } | undefined;
    const err: WireError = body?.error ?? { code: res.status === 413 ? "payload_too_large" : "internal", message: `upload failed with ${res.status}` };
    const line = filesRefusedLine(err, file.filename) ?? (res.status === 413 ? tooLargeLine(file.filename, file.data.byteLength, undefined) : undefined);
    if (line) throw new FileRefusedError(line);
    throw new ProtocolError(err);
  }
  return (await res.json()) as Attachment;
}

/** Codes of a `chat.send` failure after which the message is sent again (same idempotency key): the daemon may not have it. */
const RESEND_CODES = new Set(["timeout", "unavailable", "storage_error", "rate_limited"]);

/**
 * The part every bridge shares (issues 6 and 11): forwards a platform message to the daemon with its channel
 * address and a stable idempotency key (so a resend after a reconnect or a restart is answered once), shows the
 * typing indicator while the run streams (failures of the indicator are ignored), and sends what the daemon's
 * outbox offers through a {@link DeliveryConsumer}: replies, command answers, refusals and error lines all come
 * from there, never from the run's events. With live replies, the run's `run.delta` events feed a draft message
 * ({@link LiveReplies}) that the reply's delivery then takes over. Call {@link start} once.
 */
export class BridgeRuntime<M extends IncomingMessage = IncomingMessage> {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly deliveries: DeliveryConsumer;
  private readonly live: LiveReplies | undefined;
  private stopping = false;
  private abandon!: () => void;
  private readonly abandoned = new Promise<false>((r) => (this.abandon = () => r(false)));

  constructor(
    private readonly opts: {
      client: AgentdClient;
      adapter: PlatformAdapter<M>;
      logger: BridgeLogger;
      /**
       * Where uploads go; resolved lazily so a bridge can start before the daemon. Default (and what
       * {@link connectDaemon} gives): `client.verifiedEndpoint()`, so the token goes only to a server that proved
       * it holds it.
       */
      endpoint?: () => Promise<Endpoint>;
      /**
       * Live replies (`channels.<platform>.liveReplies`, default true): when the adapter has `drafts`, a streaming
       * reply shows as one message edited in place, then becomes the reply. False: the typing indicator only.
       */
      liveReplies?: boolean;
    },
  ) {
    this.live = opts.adapter.drafts && opts.liveReplies !== false ? new LiveReplies(opts.adapter.drafts, opts.logger) : undefined;
    this.deliveries = new DeliveryConsumer({ client: opts.client, adapter: opts.adapter, logger: opts.logger, drafts: this.live });
  }

  /** Subscribes to the platform's deliveries (again after every reconnect). */
  start(): void {
    this.deliveries.start();
  }

  /**
   * Takes a platform message in the background: fetches its files, then {@link handle}s it. A file over the
   * cap ({@link DEFAULT_MAX_DOWNLOAD_BYTES}, the Bot API's getFile limit) or that cannot be fetched is never
   * dropped silently: the user gets one line naming the file (and the limit), and the message is not forwarded,
   * so nothing is half-stored (issue 12).
   * Resolves with true once the daemon has the message on disk (or it was refused): a bridge may then confirm it
   * to its platform (Telegram's update offset); with false when the bridge stops first ({@link abandonPending}).
   */
  receive(msg: M, files: PendingFile[] = []): Promise<boolean> {
    let accepted!: () => void;
    const onDisk = new Promise<void>((r) => (accepted = r));
    const task = (async () => {
      const fetched: NonNullable<IncomingMessage["files"]> = [];
      for (const f of files) {
        let line: string | undefined;
        try {
          if ((f.bytes ?? 0) > DEFAULT_MAX_DOWNLOAD_BYTES) line = tooLargeLine(f.filename, f.bytes, DEFAULT_MAX_DOWNLOAD_BYTES);
          else fetched.push({ data: await f.fetch(), filename: f.filename, mime: f.mime });
        } catch (err) {
          this.opts.logger.warn({ err: (err as Error).message, file: f.filename }, "could not download a file");
          line = /too large/.test((err as Error).message)
            ? tooLargeLine(f.filename, undefined, DEFAULT_MAX_DOWNLOAD_BYTES)
            : `I couldn't receive ${f.filename}. Please send it again. Nothing was sent to the agent.`;
        }
        if (line) {
          await this.refuse(msg, line);
          return;
        }
      }
      if (fetched.length) msg.files = fetched;
      await this.handle(msg, accepted);
    })().finally(accepted);
    this.inFlight.add(task);
    void task.finally(() => this.inFlight.delete(task));
    return Promise.race([onDisk.then(() => true as const), this.abandoned]);
  }

  /**
   * Sends a refusal line for a message that is not forwarded (a file over the limit), through the outbox like
   * every line the daemon refuses with; a failed send is logged.
   */
  private async refuse(msg: M, line: string): Promise<void> {
    const address = { platform: msg.channel.platform, chatId: msg.channel.chatId, ...(msg.channel.threadId ? { threadId: msg.channel.threadId } : {}), replyTo: msg.messageId };
    await this.opts.client.request("messages.send", { address, text: line, idempotencyKey: `${idempotencyKeyOf(msg)}:refused` })
      .catch((err: unknown) => this.opts.logger.error({ err: errorText(err) }, "could not send the refusal line"));
  }

  /** Stops waiting for the daemon to take messages: pending {@link receive} promises resolve with false. */
  abandonPending(): void {
    this.stopping = true;
    this.abandon();
  }

  /**
   * For a clean stop: takes no more offers, waits up to `timeoutMs` for deliveries being sent (and their acks).
   * Runs still streaming are not waited for: their replies stay in the outbox for the next start, and their
   * drafts are deleted (up to `timeoutMs` more), so the reply that comes then is the only copy.
   */
  async idle(timeoutMs: number): Promise<void> {
    this.abandonPending();
    await this.deliveries.stop(timeoutMs);
    await this.live?.discardAll(timeoutMs);
  }

  /**
   * Handles one incoming message: sends it (again, with the same key, while the daemon is unreachable or busy),
   * calls `accepted` once the daemon has it, and shows the typing indicator from the run's `running` status to its
   * end (so ignored messages and commands answered at once never show it). Never throws. When the daemon refuses
   * the message itself (nothing stored), the user still gets one short line, through the outbox (`messages.send`).
   */
  async handle(msg: M, accepted: () => void = () => {}): Promise<void> {
    const { client, adapter, logger } = this.opts;
    let typing: { stop(): void } | undefined;
    let draft: LiveDraft | undefined;
    const stopTyping = async (): Promise<void> => {
      if (!typing) return;
      typing.stop();
      typing = undefined;
      try {
        await adapter.stopTyping?.(msg);
      } catch (err) {
        logger.debug({ err: errorText(err) }, "could not clear the typing indicator");
      }
    };
    const key = idempotencyKeyOf(msg);
    try {
      const attachments: Attachment[] = [];
      if (msg.files?.length) {
        const endpoint = await (this.opts.endpoint ? this.opts.endpoint() : client.verifiedEndpoint());
        for (const f of msg.files) attachments.push(await uploadFile(endpoint, f));
      }
      const text = msg.text;
      if (!text && !attachments.length) return;
      const params = { idempotencyKey: key, channel: { ...msg.channel, messageId: msg.messageId }, ...(attachments.length ? { attachments } : {}) };
      let run: Awaited<ReturnType<AgentdClient["send"]>> | undefined;
      for (let attempt = 1; !run; attempt++) {
        try {
          run = await client.send(text, params);
        } catch (err) {
          if (!(err instanceof ProtocolError) || !RESEND_CODES.has(err.code) || this.stopping) throw err;
          logger.warn({ err: err.message, messageId: msg.messageId, attempt }, "the agent did not take a message yet; sending it again");
          await sleep(Math.min(10_000, 500 * attempt));
        }
      }
      accepted();
      for await (const ev of run.events) {
        if (!typing && ev.event === "run.status" && ev.payload.status === "running") {
          typing = startTypingLoop(() => adapter.sendTyping(msg), { intervalMs: adapter.typingIntervalMs, logger });
        } else if (ev.event === "run.delta" && this.live) {
          draft ??= this.live.open(run.runId, { platform: msg.channel.platform, chatId: msg.channel.chatId, ...(msg.channel.threadId ? { threadId: msg.channel.threadId } : {}), replyTo: msg.messageId });
          draft.push(ev.payload.text);
        } else if (ev.event === "run.done" || ev.event === "run.error") {
          break;
        }
      }
    } catch (err) {
      // stopping, or the client closed: the message stays with the platform (not confirmed) for the next start
      if (this.stopping || (err instanceof ProtocolError && err.code === "unavailable" && /client (is )?closed/.test(err.message))) return;
      logger.warn({ err: errorText(err), messageId: msg.messageId }, "the agent refused a message");
      if (err instanceof FileRefusedError) {
        await this.refuse(msg, err.userLine);
      } else if (err instanceof ProtocolError) {
        // refused before anything was stored: one line for the user (naming the file and limit for a file refusal), still through the outbox
        const line = (msg.files?.length ? filesRefusedLine(err) : undefined) ?? userErrorLine(err);
        await this.refuse(msg, line);
      }
    } finally {
      draft?.end();
      await stopTyping();
    }
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
