/**
 * Entry of the WhatsApp bridge process (`agentd bridge whatsapp DIR`, or `--url URL --token T` for an agent on
 * another machine). The first start shows a pairing QR code; the auth state is kept in `DIR/whatsapp-auth/`.
 * Setup: docs/bridges.md.
 */
import { join, resolve } from "node:path";
import { z } from "zod";
import type { WAMessage } from "@whiskeysockets/baileys";
import type { BackoffOptions } from "../../protocol/backoff.js";
import { WHATSAPP_MAX_CHARS } from "../common/format-whatsapp.js";
import { connectDaemon, createBridgeLogger, parseBridgeConfig, untilStopped, type BridgeOptions } from "../common/bridge-host.js";
import { runWhatsAppBridge } from "./bridge.js";
import { createBaileysSocket, type WaSocket } from "./socket.js";

/**
 * The bridge's part of `channels.whatsapp`: `maxMessageChars`, the most characters per sent message (default
 * 4000; longer replies are split). Other keys (access policy) belong to the daemon and are ignored here.
 */
export const WhatsAppBridgeConfig = z.looseObject({
  maxMessageChars: z.number().int().min(100).max(65_536).default(WHATSAPP_MAX_CHARS),
});

/** Options of {@link runBridge}: {@link BridgeOptions} plus injection points for tests and embedding. */
export interface WhatsAppBridgeOptions extends BridgeOptions {
  /**
   * Folder for the auth state (`whatsapp-auth/`) and the QR PNG (`whatsapp-qr.png`); default `agentDir`, else the
   * current directory (a bridge started with `--url` on another machine).
   */
  dataDir?: string;
  /** Opens a socket; default Baileys with the multi-file auth state in `<dataDir>/whatsapp-auth`. */
  createSocket?: () => Promise<WaSocket>;
  /** Downloads a message's media; default Baileys `downloadMediaMessage`. */
  downloadMedia?: (message: WAMessage) => Promise<Uint8Array>;
  /** Where the QR code is printed; default stderr. */
  qrOut?: NodeJS.WritableStream;
  /** Reconnect delays; default 1 s doubling to 30 s. */
  retry?: BackoffOptions;
}

/**
 * Runs the WhatsApp bridge until SIGINT/SIGTERM (or `opts.signal`). Resolves after a clean stop. Rejects with a
 * one-line {@link BridgeConfigError} (`exitCode` 78) when WhatsApp logged the device out or the config is invalid.
 */
export async function runBridge(opts: WhatsAppBridgeOptions): Promise<void> {
  const cfg = parseBridgeConfig("whatsapp", WhatsAppBridgeConfig, opts.config);
  const logger = opts.logger ?? createBridgeLogger("whatsapp", [opts.token]);
  const dataDir = resolve(opts.dataDir ?? opts.agentDir ?? process.cwd());
  const authDir = join(dataDir, "whatsapp-auth");
  const { client, endpoint } = connectDaemon(opts, "whatsapp", logger);
  const stop = new AbortController();
  void untilStopped([opts.signal, stop.signal]).then(() => stop.abort());
  try {
    await runWhatsAppBridge({
      createSocket: opts.createSocket ?? (() => createBaileysSocket(authDir, logger)),
      client, logger, endpoint, signal: stop.signal,
      maxMessageChars: cfg.maxMessageChars,
      qrFile: join(dataDir, "whatsapp-qr.png"),
      authDir,
      ...(opts.qrOut ? { qrOut: opts.qrOut } : {}),
      ...(opts.downloadMedia ? { downloadMedia: opts.downloadMedia } : {}),
      ...(opts.retry ? { retry: opts.retry } : {}),
    });
  } finally {
    stop.abort();
    client.close();
  }
}
