import { describe, it, expect } from "vitest";
import type { BaileysEventMap } from "@whiskeysockets/baileys";
import { DisconnectReason, createFakeWaSocket, type WaSocketLike } from "./fake-whatsapp.js";

function nextEvent<K extends keyof BaileysEventMap>(
  sock: WaSocketLike,
  name: K,
  accept: (data: BaileysEventMap[K]) => boolean = () => true,
): Promise<BaileysEventMap[K]> {
  return new Promise((resolve) => {
    const listener = (data: BaileysEventMap[K]): void => {
      if (!accept(data)) return;
      sock.ev.off(name, listener);
      resolve(data);
    };
    sock.ev.on(name, listener);
  });
}

describe("fake WhatsApp socket", () => {
  it("emits a real incoming text message as messages.upsert notify", async () => {
    const sock = createFakeWaSocket();
    const upsert = nextEvent(sock, "messages.upsert");
    const sent = sock.emitIncomingText({ fromJid: "15550001111@s.whatsapp.net", text: "hello", pushName: "Ann" });
    const { messages, type } = await upsert;
    expect(type).toBe("notify");
    expect(messages[0]).toBe(sent);
    expect(messages[0]!.key).toMatchObject({ remoteJid: "15550001111@s.whatsapp.net", fromMe: false });
    expect(messages[0]!.key.id).toMatch(/^[0-9A-F]{10,}$/);
    expect(messages[0]!.message?.conversation).toBe("hello");
    expect(messages[0]!.pushName).toBe("Ann");
    expect(Number(messages[0]!.messageTimestamp)).toBeGreaterThan(1_600_000_000);
  });

  it("builds group messages with participant and mentions", async () => {
    const sock = createFakeWaSocket();
    const upsert = nextEvent(sock, "messages.upsert");
    sock.emitIncomingText({
      fromJid: "15550002222@s.whatsapp.net",
      text: "@agentd what time is it?",
      isGroup: true,
      mentionedJids: ["15550009999@s.whatsapp.net"],
    });
    const msg = (await upsert).messages[0]!;
    expect(msg.key.remoteJid).toBe("120363000000000001@g.us");
    expect(msg.key.participant).toBe("15550002222@s.whatsapp.net");
    expect(msg.message?.extendedTextMessage?.text).toBe("@agentd what time is it?");
    expect(msg.message?.extendedTextMessage?.contextInfo?.mentionedJid).toEqual(["15550009999@s.whatsapp.net"]);
  });

  it("records sent replies with the quoted message, presence updates and an own-message echo", async () => {
    const sock = createFakeWaSocket();
    const incoming = sock.emitIncomingText({ fromJid: "15550001111@s.whatsapp.net", text: "hi" });
    const echo = nextEvent(sock, "messages.upsert", (d) => d.type === "append");
    await sock.sendPresenceUpdate("composing", "15550001111@s.whatsapp.net");
    const out = await sock.sendMessage("15550001111@s.whatsapp.net", { text: "*hello*" }, { quoted: incoming });
    await sock.sendPresenceUpdate("paused", "15550001111@s.whatsapp.net");
    expect(sock.sent).toHaveLength(1);
    expect(sock.sent[0]).toMatchObject({ jid: "15550001111@s.whatsapp.net", content: { text: "*hello*" }, quoted: incoming });
    expect(out?.key.fromMe).toBe(true);
    expect(out?.message?.extendedTextMessage?.text).toBe("*hello*");
    expect(out?.message?.extendedTextMessage?.contextInfo?.stanzaId).toBe(incoming.key.id);
    expect(sock.presence.map((p) => [p.type, p.jid])).toEqual([
      ["composing", "15550001111@s.whatsapp.net"],
      ["paused", "15550001111@s.whatsapp.net"],
    ]);
    const { messages } = await echo;
    expect(messages[0]!.key.id).toBe(out?.key.id);
  });

  it("emits connection open and close with a Boom-shaped status code", async () => {
    const sock = createFakeWaSocket();
    const opened = nextEvent(sock, "connection.update");
    sock.emitOpen();
    expect((await opened).connection).toBe("open");

    const closed = nextEvent(sock, "connection.update");
    sock.emitClose(DisconnectReason.connectionClosed);
    const update = await closed;
    expect(update.connection).toBe("close");
    const error = update.lastDisconnect?.error as { output?: { statusCode?: number }; isBoom?: boolean };
    expect(error.isBoom).toBe(true);
    expect(error.output?.statusCode).toBe(428);

    const loggedOut = nextEvent(sock, "connection.update");
    sock.emitClose(DisconnectReason.loggedOut);
    expect(((await loggedOut).lastDisconnect?.error as { output: { statusCode: number } }).output.statusCode).toBe(401);
  });

  it("can make sendMessage fail and records end()", async () => {
    const sock = createFakeWaSocket();
    sock.failSendWith = new Error("socket closed");
    await expect(sock.sendMessage("1@s.whatsapp.net", { text: "x" })).rejects.toThrow("socket closed");
    const closed = nextEvent(sock, "connection.update");
    await sock.end(undefined);
    expect((await closed).connection).toBe("close");
    expect(sock.ended).toBe(true);
  });
});
