import { ProtocolError, type AgentdClient } from "../../protocol/client.js";
import type { EventPayload } from "../../protocol/events.js";
import type { Attachment, ChannelAddress } from "../../protocol/chat.js";
import type { Endpoint } from "../../protocol/endpoint.js";
import { startTypingLoop } from "./typing-loop.js";
import { DEFAULT_MAX_DOWNLOAD_BYTES } from "./download.js";
import { userErrorLine } from "./user-error.js";
import { FileRefusedError, filesRefusedLine, tooLargeLine } from "./file-refusal.js";
import type { WireError } from "../../protocol/errors.js";

/** A message a bridge received from its platform, in the shape every bridge shares. */
export interface IncomingMessage {
  /** The platform's message id; with platform and chat it forms the idempotency key. */
  messageId: string;
  channel: ChannelAddress;
  text: string;
  /** Files to upload to the daemon (`POST /api/upload`) and reference in the message. */
  files?: Array<{ data: Uint8Array<ArrayBuffer>; filename: string; mime: string }>;
}

/** What a platform plugs into the runtime: formatting/splitting, sending a reply, the typing indicator. */
export interface PlatformAdapter<M extends IncomingMessage = IncomingMessage> {
  platform: string;
  /** Markdown → the platform's formatted chunks, each under its limit. */
  format(markdown: string): string[];
  /** Sends the chunks in order, as a reply to the user's message. */
  sendReply(msg: M, chunks: string[]): Promise<void>;
  /** Shows the typing indicator once (the runtime refreshes it every `typingIntervalMs`). */
  sendTyping(msg: M): Promise<unknown>;
  typingIntervalMs: number;
  /** Optional: clears the indicator when the run ends (WhatsApp `paused`); failures are ignored. */
  stopTyping?(msg: M): Promise<unknown>;
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

/** The subset of pino's logger the runtime uses. */
export interface BridgeLogger {
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

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

/**
 * The part every bridge shares: forwards a platform message to the daemon with its channel address and a stable
 * idempotency key (so a resend after a reconnect is answered once), shows the typing indicator while the run
 * streams (failures of the indicator are ignored), then sends the final reply formatted and split by the adapter,
 * or one short friendly line on error. Runs marked `ignored` by the daemon send nothing.
 */
export class BridgeRuntime<M extends IncomingMessage = IncomingMessage> {
  private readonly inFlight = new Set<Promise<void>>();

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
    },
  ) {}

  /**
   * Takes a platform message in the background: fetches its files, then {@link handle}s it. A file over the
   * cap ({@link DEFAULT_MAX_DOWNLOAD_BYTES}, the Bot API's getFile limit) or that cannot be fetched is never
   * dropped silently: the user gets one line naming the file (and the limit), and the message is not forwarded,
   * so nothing is half-stored (issue 12).
   */
  receive(msg: M, files: PendingFile[] = []): void {
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
      await this.handle(msg);
    })();
    this.inFlight.add(task);
    void task.finally(() => this.inFlight.delete(task));
  }

  /** Sends a refusal line for a message that is not forwarded (a file over the limit); a failed send is logged. */
  private async refuse(msg: M, line: string): Promise<void> {
    try {
      await this.opts.adapter.sendReply(msg, [line]);
    } catch (err) {
      this.opts.logger.error({ err: errorText(err) }, "could not send the refusal line");
    }
  }

  /** Waits until the messages taken by {@link receive} are answered, at most `timeoutMs` (for a clean stop). */
  async idle(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled(this.inFlight), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  /**
   * Handles one incoming message to the end (reply sent). Never throws. The typing indicator starts when the
   * daemon reports the run `running` (so messages it ignores, such as group chatter without a mention, and chat
   * commands it answers at once never show it) and stops (`stopTyping`) before the reply is sent.
   */
  async handle(msg: M): Promise<void> {
    const { client, adapter, logger } = this.opts;
    let typing: { stop(): void } | undefined;
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
    try {
      const attachments: Attachment[] = [];
      if (msg.files?.length) {
        const endpoint = await (this.opts.endpoint ? this.opts.endpoint() : client.verifiedEndpoint());
        for (const f of msg.files) attachments.push(await uploadFile(endpoint, f));
      }
      const text = msg.text;
      if (!text && !attachments.length) return;
      const run = await client.send(text, {
        idempotencyKey: idempotencyKeyOf(msg),
        channel: { ...msg.channel, messageId: msg.messageId },
        ...(attachments.length ? { attachments } : {}),
      });
      let done: EventPayload<"run.done"> | undefined;
      for await (const ev of run.events) {
        if (!typing && ev.event === "run.status" && ev.payload.status === "running") {
          typing = startTypingLoop(() => adapter.sendTyping(msg), { intervalMs: adapter.typingIntervalMs, logger });
        } else if (ev.event === "run.done") {
          done = ev.payload;
        } else if (ev.event === "run.error") {
          throw new ProtocolError(ev.payload.error);
        }
      }
      await stopTyping();
      if (!done) throw new ProtocolError({ code: "unavailable", message: "connection closed before the run ended" });
      if (done.status === "ignored" || !done.text.trim()) return;
      await adapter.sendReply(msg, adapter.format(done.text));
    } catch (err) {
      await stopTyping();
      logger.warn({ err: errorText(err), messageId: msg.messageId }, "could not answer a message");
      const files = err instanceof ProtocolError && msg.files?.length ? filesRefusedLine(err) : undefined;
      try {
        await adapter.sendReply(msg, [err instanceof FileRefusedError ? err.userLine : (files ?? userErrorLine(err))]);
      } catch (sendErr) {
        logger.error({ err: errorText(sendErr) }, "could not send the error line");
      }
    }
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
