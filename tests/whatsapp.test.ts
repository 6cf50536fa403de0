/**
 * The WhatsApp bridge end to end: a real daemon (built CLI), the scripted model, and the bridge in-process through
 * `runBridge` with an injected socket factory making stand-in Baileys sockets (tests/support/fake-whatsapp.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { proto, generateMessageID, type WAMessage } from "@whiskeysockets/baileys";
import { startFakeLlm, type FakeLlm, type RecordedRequest } from "./support/fake-llm.js";
import { createFakeWaSocket, DisconnectReason, type FakeWaSocket } from "./support/fake-whatsapp.js";
import { initAgent, startDaemon, waitFor, cleanup, tempDir, type RunningDaemon } from "./support/daemon.js";
import { runBridge } from "../bridges/whatsapp/main.js";

const ANN = "15550001111@s.whatsapp.net";
const BOT = "15550009999@s.whatsapp.net"; // the fake socket's account
const GROUP = "120363000000000001@g.us";

function lastUser(req: RecordedRequest): string {
  const msgs = (req.body?.messages ?? []) as Array<{ role: string; content: unknown }>;
  const m = [...msgs].reverse().find((x) => x.role === "user");
  return typeof m?.content === "string" ? m.content : JSON.stringify(m?.content ?? "");
}

let llm: FakeLlm;
let agent: { dir: string };
let daemon: RunningDaemon;

beforeAll(async () => {
  llm = await startFakeLlm();
  llm.onRequest((req) => {
    const text = lastUser(req);
    if (text.includes("format please")) return { text: `**Bold** and _soft_.\n\n${"Lorem ipsum dolor sit amet. ".repeat(12)}` };
    return undefined;
  });
  agent = await initAgent({
    llmUrl: llm.url,
    edit: (cfg) => {
      cfg.channels = { whatsapp: { enabled: false, policy: "allowlist", allowlist: ["+1 555 000 1111", "+1 555 000 2222"] } };
    },
  });
  daemon = await startDaemon(agent.dir);
});

afterAll(async () => {
  await daemon?.stop();
  await llm?.close();
  if (agent) cleanup(agent.dir);
});

interface Bridge {
  sockets: FakeWaSocket[];
  logs: string[];
  dataDir: string;
  done: Promise<void>;
  stop(): Promise<void>;
  /** The newest socket, once the bridge made it and announced it open. */
  open(n?: number): Promise<FakeWaSocket>;
}

function startBridge(extra: { downloadMedia?: (m: WAMessage) => Promise<Uint8Array> } = {}): Bridge {
  const sockets: FakeWaSocket[] = [];
  const logs: string[] = [];
  const dataDir = tempDir("agentd-wa-");
  const ac = new AbortController();
  const logger = pino({ level: "debug" }, new Writable({ write(c, _e, cb) { logs.push(String(c)); cb(); } }));
  const done = runBridge({
    agentDir: agent.dir, dataDir, config: { maxMessageChars: 200, enabled: false }, logger, signal: ac.signal,
    createSocket: async () => {
      const s = createFakeWaSocket();
      sockets.push(s);
      return s;
    },
    qrOut: new Writable({ write(_c, _e, cb) { cb(); } }),
    retry: { initialMs: 20, maxMs: 100 },
    ...extra,
  });
  done.catch(() => {});
  return {
    sockets, logs, dataDir, done,
    stop: async () => {
      ac.abort();
      await done.catch(() => {});
      cleanup(dataDir);
    },
    async open(n = 1) {
      const s = await waitFor(() => sockets[n - 1], `socket ${n}`);
      await sleep(10); // the bridge attaches its listeners right after the factory resolves
      s.emitOpen();
      return s;
    },
  };
}

/** Resolves with the sent messages once `n` were sent on `s`. */
const sentOn = (s: FakeWaSocket, n: number) => waitFor(() => (s.sent.length >= n ? s.sent : undefined), `${n} sent messages`, 8_000);

describe("WhatsApp bridge with a running agent", () => {
  it("answers a messages.upsert with sendMessage quoting it, showing composing while the run streams", async () => {
    const b = startBridge();
    try {
      const s = await b.open();
      const incoming = s.emitIncomingText({ fromJid: ANN, text: "hello from whatsapp" });
      const [reply] = await sentOn(s, 1);
      expect(reply!.jid).toBe(ANN);
      expect((reply!.content as { text: string }).text).toContain("hello from whatsapp");
      expect(reply!.quoted?.key.id).toBe(incoming.key.id);
      await waitFor(() => s.presence.some((p) => p.type === "paused"), "paused presence");
      const kinds = s.presence.filter((p) => p.jid === ANN).map((p) => p.type);
      expect(kinds[0]).toBe("composing");
      expect(kinds.at(-1)).toBe("paused");
      expect(s.read.map((k) => k.id)).toContain(incoming.key.id);
      // the own-message echo (messages.upsert "append") starts nothing
      await sleep(300);
      expect(s.sent).toHaveLength(1);
    } finally {
      await b.stop();
    }
  });

  it("formats with WhatsApp's *bold* style and splits at maxMessageChars", async () => {
    const b = startBridge();
    try {
      const s = await b.open();
      s.emitIncomingText({ fromJid: ANN, text: "format please" });
      await sentOn(s, 2);
      await sleep(200);
      const texts = s.sent.map((m) => (m.content as { text: string }).text);
      expect(texts.length).toBeGreaterThanOrEqual(2);
      expect(texts[0]).toMatch(/^\*Bold\* and _soft_\./);
      for (const t of texts) expect(t.length).toBeLessThanOrEqual(200);
      expect(s.sent[0]!.quoted).toBeDefined();
      expect(s.sent[1]!.quoted).toBeUndefined();
    } finally {
      await b.stop();
    }
  });

  it("answers in a group only when mentioned, and refuses a number not on the allowlist without calling the model", async () => {
    const b = startBridge();
    try {
      const s = await b.open();
      const chatter = s.emitIncomingText({ fromJid: ANN, text: "group chatter", isGroup: true });
      s.emitIncomingText({ fromJid: ANN, text: "@15550009999 group question", isGroup: true, mentionedJids: [BOT] });
      const [reply] = await sentOn(s, 1);
      expect(reply!.jid).toBe(GROUP);
      expect((reply!.content as { text: string }).text).toContain("group question");
      expect((reply!.content as { text: string }).text).not.toContain("@15550009999");

      s.emitIncomingText({ fromJid: "15550003333@s.whatsapp.net", text: "stranger danger" });
      const sent = await sentOn(s, 2);
      expect(sent[1]!.jid).toBe("15550003333@s.whatsapp.net");
      expect((sent[1]!.content as { text: string }).text).toMatch(/only talk with people my owner has allowed/);
      expect(llm.requests.filter((r) => lastUser(r).includes("stranger danger"))).toHaveLength(0);
      expect(s.sent.map((m) => JSON.stringify(m.content)).join(" ")).not.toContain("group chatter");
      expect(s.read.map((k) => k.id)).not.toContain(chatter.key.id); // ignored messages stay unread
    } finally {
      await b.stop();
    }
  });

  it("uploads a received image to the agent", async () => {
    const b = startBridge({ downloadMedia: async () => new TextEncoder().encode("fake-image-bytes") });
    try {
      const s = await b.open();
      const info = proto.WebMessageInfo.fromObject({
        key: { remoteJid: ANN, fromMe: false, id: generateMessageID() },
        message: { imageMessage: { caption: "what is in this picture", mimetype: "image/jpeg" } },
        messageTimestamp: Math.floor(Date.now() / 1000),
      }) as WAMessage;
      s.ev.emit("messages.upsert", { messages: [info], type: "notify" });
      const [reply] = await sentOn(s, 1);
      expect((reply!.content as { text: string }).text).toContain("what is in this picture");
      const stored = readdirSync(join(agent.dir, "uploads")).filter((f) => f.endsWith(".jpg"));
      expect(stored.map((f) => readFileSync(join(agent.dir, "uploads", f), "utf8"))).toContain("fake-image-bytes");
    } finally {
      await b.stop();
    }
  });
});

describe("WhatsApp connection handling", () => {
  it("shows the pairing QR code as a PNG in the agent folder, and removes it once paired", async () => {
    const b = startBridge();
    try {
      const s = await waitFor(() => b.sockets[0], "socket");
      await sleep(10);
      s.ev.emit("connection.update", { qr: "2@fake-qr-payload,abc,def" });
      const png = join(b.dataDir, "whatsapp-qr.png");
      await waitFor(() => existsSync(png), "the QR PNG");
      expect(readFileSync(png).subarray(1, 4).toString()).toBe("PNG");
      s.emitOpen();
      await waitFor(() => !existsSync(png), "the QR PNG to be removed");
    } finally {
      await b.stop();
    }
  });

  it("reconnects with a new socket after a reconnectable close, and answers on it", async () => {
    const b = startBridge();
    try {
      const first = await b.open();
      first.emitClose(DisconnectReason.connectionClosed);
      const second = await b.open(2);
      second.emitIncomingText({ fromJid: ANN, text: "after the reconnect" });
      const [reply] = await sentOn(second, 1);
      expect((reply!.content as { text: string }).text).toContain("after the reconnect");
      expect(first.sent).toHaveLength(0);
      // restartRequired (after pairing) reconnects too
      second.emitClose(DisconnectReason.restartRequired);
      await waitFor(() => b.sockets[2], "a third socket");
    } finally {
      await b.stop();
    }
  });

  it("stops with a clear message when WhatsApp logs the device out", async () => {
    const b = startBridge();
    const s = await b.open();
    s.emitClose(DisconnectReason.loggedOut);
    await expect(b.done).rejects.toThrow(/logged this device out: delete .*whatsapp-auth/);
    await sleep(100);
    expect(b.sockets).toHaveLength(1);
    await b.stop();
  });
});
