import { describe, it, expect } from "vitest";
import { proto, type WAMessage } from "@whiskeysockets/baileys";
import { toIncoming } from "./inbound.js";

const self = { id: "15550009999:3@s.whatsapp.net", lid: "88880000:3@lid" };
const wa = (o: Record<string, unknown>): WAMessage => proto.WebMessageInfo.fromObject(o) as WAMessage;

describe("WhatsApp inbound", () => {
  it("addresses a direct message by phone number, never by display name", () => {
    const r = toIncoming(wa({ key: { remoteJid: "15550001111@s.whatsapp.net", fromMe: false, id: "A1" }, message: { conversation: "hi" }, pushName: "+15550002222" }), self)!;
    expect(r.msg.channel).toEqual({ platform: "whatsapp", chatId: "15550001111@s.whatsapp.net", userId: "15550001111@s.whatsapp.net", isGroup: false, mentioned: true });
    expect(r.msg.text).toBe("hi");
  });

  it("prefers the phone-number jid over a LID for the sender", () => {
    const m = wa({ key: { remoteJid: "12345@lid", fromMe: false, id: "A2" }, message: { conversation: "hi" } });
    (m.key as { remoteJidAlt?: string }).remoteJidAlt = "15550001111@s.whatsapp.net";
    expect(toIncoming(m, self)!.msg.channel.userId).toBe("15550001111@s.whatsapp.net");
  });

  it("sees mentions of the account's number or LID and replies to its messages in groups", () => {
    const base = { remoteJid: "1203@g.us", fromMe: false, participant: "15550001111@s.whatsapp.net" };
    const mk = (id: string, contextInfo: Record<string, unknown> | undefined, text = "@15550009999 hey") =>
      wa({ key: { ...base, id }, message: contextInfo ? { extendedTextMessage: { text, contextInfo } } : { conversation: text } });
    const byNumber = toIncoming(mk("G1", { mentionedJid: ["15550009999@s.whatsapp.net"] }), self)!;
    expect(byNumber.msg.channel).toMatchObject({ isGroup: true, mentioned: true, userId: "15550001111@s.whatsapp.net", chatId: "1203@g.us" });
    expect(byNumber.msg.text).toBe("hey");
    expect(toIncoming(mk("G2", { mentionedJid: ["88880000@lid"] }), self)!.msg.channel.mentioned).toBe(true);
    expect(toIncoming(mk("G3", { stanzaId: "X", participant: "15550009999@s.whatsapp.net" }, "yes"), self)!.msg.channel.mentioned).toBe(true);
    expect(toIncoming(mk("G4", undefined, "chatter"), self)!.msg.channel.mentioned).toBe(false);
  });

  it("skips own messages, status updates and empty messages; lists media", () => {
    expect(toIncoming(wa({ key: { remoteJid: "1@s.whatsapp.net", fromMe: true, id: "B" }, message: { conversation: "x" } }), self)).toBeUndefined();
    expect(toIncoming(wa({ key: { remoteJid: "status@broadcast", fromMe: false, id: "C", participant: "1@s.whatsapp.net" }, message: { conversation: "x" } }), self)).toBeUndefined();
    expect(toIncoming(wa({ key: { remoteJid: "1@s.whatsapp.net", fromMe: false, id: "D" }, message: { reactionMessage: { text: "👍" } } }), self)).toBeUndefined();
    const voice = toIncoming(wa({ key: { remoteJid: "1@s.whatsapp.net", fromMe: false, id: "E" }, message: { audioMessage: { ptt: true, mimetype: "audio/ogg; codecs=opus", fileLength: 1234 } } }), self)!;
    expect(voice.media).toEqual({ filename: "voice-E.ogg", mime: "audio/ogg; codecs=opus", bytes: 1234 });
    expect(voice.msg.text).toBe("");
  });
});
