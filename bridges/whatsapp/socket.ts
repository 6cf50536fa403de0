/**
 * The real WhatsApp connection: a Baileys 7 socket whose auth state lives in the agent folder (multi-file, so
 * later starts need no QR code), and the pairing QR code shown in the terminal and saved as a PNG.
 */
import { rename, rm } from "node:fs/promises";
import type { Logger } from "pino";
import QRCode from "qrcode";
import { makeWASocket, useMultiFileAuthState, Browsers, type WASocket } from "@whiskeysockets/baileys";

/** The part of a Baileys socket the bridge uses (tests inject a stand-in with exactly this shape). */
export type WaSocket = Pick<WASocket, "ev" | "sendMessage" | "sendPresenceUpdate" | "end" | "user" | "readMessages">;

/**
 * Opens a Baileys socket with the multi-file auth state in `authDir` (created if missing; credentials saved on
 * every `creds.update`). Only the recent history Baileys syncs by default is received (it arrives as `append`
 * upserts, never answered), and the account is not marked online on connect, so the owner's phone keeps getting notifications. Baileys logs through `logger` at warn and up.
 */
export async function createBaileysSocket(authDir: string, logger: Logger): Promise<WaSocket> {
  const { state, saveCreds } = await useMultiFileAuthState(authDir);
  const sock = makeWASocket({
    auth: state,
    logger: logger.child({ component: "baileys" }, { level: "warn" }),
    browser: Browsers.ubuntu("agentd"),
    markOnlineOnConnect: false,
    syncFullHistory: false,
  });
  sock.ev.on("creds.update", () => void saveCreds());
  return sock;
}

/**
 * Shows a pairing QR code: printed to `out` as terminal blocks and written to `pngFile` (scan either from
 * WhatsApp → Linked devices → Link a device). Errors writing the PNG are passed on.
 */
export async function showQr(qr: string, pngFile: string, out: NodeJS.WritableStream): Promise<void> {
  const art = await QRCode.toString(qr, { type: "terminal", small: true });
  out.write(`\nScan this with WhatsApp (Settings → Linked devices → Link a device), or open ${pngFile}:\n${art}\n`);
  // temp file + rename: an image viewer (or a poller) never sees a half-written PNG
  const tmp = `${pngFile}.${process.pid}.tmp`;
  await QRCode.toFile(tmp, qr, { type: "png", width: 400, margin: 2 });
  await rename(tmp, pngFile);
}

/** Removes the QR PNG once paired (it is useless then). Never throws. */
export async function removeQr(pngFile: string): Promise<void> {
  await rm(pngFile, { force: true }).catch(() => {});
}
