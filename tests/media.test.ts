/**
 * Issue 12, "In": files a user sends reach the model. A real daemon (built CLI), the scripted model recording
 * every request, `telegram-test-api` standing in for the Bot API (files are served by the bridge's injected
 * download, as the emulator has no getFile: /work/shared/TESTING.md), and REST uploads.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "node:net";
import { readdirSync } from "node:fs";
import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import sharp from "sharp";
import { TelegramServer } from "telegram-test-api/lib/telegramServer.js";
import type { Transformer } from "grammy";
import { freePort, idlePause } from "./support/telegram-shim.js";
import { startFakeLlm, type FakeLlm, type RecordedRequest } from "./support/fake-llm.js";
import { initAgent, startDaemon, waitFor, cleanup, type RunningDaemon } from "./support/daemon.js";
import { runBridge } from "../bridges/telegram/main.js";

const TOKEN = "123456:TEST-media-token";

type Part = { type: string; text?: string; image_url?: { url: string } };
/** The content of the last user message of a model request. */
function lastUser(req: RecordedRequest): string | Part[] {
  const msgs = (req.body?.messages ?? []) as Array<{ role: string; content: string | Part[] }>;
  return [...msgs].reverse().find((m) => m.role === "user")?.content ?? "";
}
const textOf = (c: string | Part[]) => (typeof c === "string" ? c : c.filter((p) => p.type === "text").map((p) => p.text).join("\n"));

/** A one-page PDF whose text layer says `text` (Helvetica, no compression), with a correct xref table. */
function tinyPdf(text: string): Buffer {
  const stream = `BT /F1 18 Tf 20 50 Td (${text}) Tj ET`;
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 100] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ];
  let out = "%PDF-1.4\n";
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`).join("")}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, "latin1");
}

let llm: FakeLlm;
let tg: TelegramServer;
let daemon: RunningDaemon;
let agentDir: string;
let stopBridge: () => Promise<void>;
/** What the bridge's download returns per Telegram file id (the emulator has no getFile). */
const platformFiles = new Map<string, Uint8Array<ArrayBuffer>>();
let wide: Buffer;

/** Waits for the model request whose last user message contains `marker`. */
const requestWith = (marker: string) =>
  waitFor(() => llm.requests.find((r) => r.path.endsWith("/chat/completions") && textOf(lastUser(r)).includes(marker)), `a model request with "${marker}"`, 20_000);

function user(userId: number) {
  const client = tg.getClient(TOKEN, { userId, userName: `u${userId}`, firstName: `u${userId}`, chatId: userId, type: "private" });
  const replies = () => tg.storage.botMessages.filter((m) => String(m.message.chat_id) === String(userId)).map((m) => String((m.message as { text?: string }).text));
  return {
    say: (text: string, extra: Record<string, unknown> = {}) => client.sendMessage(client.makeMessage(text, extra) as never),
    replies,
    waitReplies: (n: number) => waitFor(() => (replies().length >= n ? replies() : undefined), `${n} replies to ${userId}`, 20_000),
  };
}

/** POSTs a file to /api/upload; returns the response. */
async function upload(data: Uint8Array, filename: string, mime: string): Promise<Response> {
  const form = new FormData();
  form.append("file", new Blob([data as Uint8Array<ArrayBuffer>], { type: mime }), filename);
  return fetch(`${daemon.url}/api/upload`, { method: "POST", headers: { authorization: `Bearer ${daemon.token}` }, body: form });
}

async function chat(body: Record<string, unknown>): Promise<{ status: number; json: any }> {
  const res = await daemon.api("/api/chat", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

beforeAll(async () => {
  llm = await startFakeLlm();
  llm.onRequest(() => ({ text: "noted" }));
  const port = await freePort();
  tg = new TelegramServer({ port, host: "127.0.0.1", storeTimeout: 600 });
  await tg.start();
  const agent = await initAgent({
    llmUrl: llm.url,
    edit: (cfg) => {
      // main: gpt-4o-mini (a vision model by default); plain: marked text-only; whisper: the transcription model
      cfg.models.plain = { provider: "openai", model: "local-text-model", input: ["text"] };
      cfg.models.whisper = { provider: "openai", model: "whisper-1" };
      cfg.uploads = { transcriptionModel: "whisper" };
      cfg.channels = { telegram: { enabled: false, policy: "open", allowModelSwitch: true } };
    },
  });
  agentDir = agent.dir;
  daemon = await startDaemon(agent.dir);
  wide = await sharp({ create: { width: 3000, height: 1200, channels: 3, background: "#c83" } }).png().toBuffer();
  const ac = new AbortController();
  const logger = pino({ level: "silent" }, new Writable({ write: (_c, _e, cb) => cb() }));
  const done = runBridge({
    agentDir, config: { botToken: TOKEN, apiRoot: `http://127.0.0.1:${port}`, enabled: false }, logger, signal: ac.signal,
    apiTransformers: [idlePause], retry: { initialMs: 50, maxMs: 200 },
    downloadFile: async (ref) => {
      const data = platformFiles.get(ref.fileId);
      if (!data) throw new Error(`no file ${ref.fileId}`);
      return data;
    },
  });
  stopBridge = async () => {
    ac.abort();
    await done;
  };
}, 60_000);

afterAll(async () => {
  await stopBridge?.();
  await daemon?.stop();
  await tg?.stop();
  await llm?.close();
  if (agentDir) cleanup(agentDir);
});

describe("attachments reach the model", () => {
  it("a Telegram photo with caption arrives as an image part (downscaled) plus the caption", async () => {
    platformFiles.set("photo-big", new Uint8Array(wide));
    await user(100).say("", { text: undefined, caption: "what colour is this receipt?", photo: [{ file_id: "photo-big", file_unique_id: "pb", width: 3000, height: 1200, file_size: wide.length }] });
    const content = lastUser(await requestWith("what colour is this receipt?"));
    expect(Array.isArray(content)).toBe(true);
    const parts = content as Part[];
    expect(parts[0]!.type).toBe("text");
    expect(parts[0]!.text).toContain("what colour is this receipt?");
    expect(parts[0]!.text).toMatch(/\[file photo-\d+\.jpg: image\/jpeg/);
    const image = parts.find((p) => p.type === "image_url")!;
    expect(image.image_url!.url).toMatch(/^data:image\/jpeg;base64,/);
    // downscaled to OpenAI's high-detail size: short side 768, so 3000x1200 becomes 1920x768
    const meta = await sharp(Buffer.from(image.image_url!.url.split(",")[1]!, "base64")).metadata();
    expect([meta.width, meta.height]).toEqual([1920, 768]);
    await user(100).waitReplies(1);
  });

  it("a voice note arrives as its transcription, said to be a voice note", async () => {
    platformFiles.set("voice-1", new Uint8Array(Buffer.alloc(1234, 7)));
    await user(200).say("", { text: undefined, voice: { file_id: "voice-1", file_unique_id: "v1", duration: 3, mime_type: "audio/ogg", file_size: 1234 } });
    const req = await requestWith("transcribed: 1234 bytes");
    const content = lastUser(req);
    expect(typeof content).toBe("string");
    expect(content).toMatch(/^\[voice note voice-\d+\.ogg, transcribed\]\ntranscribed: 1234 bytes$/);
  });

  it("a PDF's text reaches the model; history shows the attachment", async () => {
    const res = await upload(tinyPdf("Invoice 4711 total 99 EUR"), "invoice.pdf", "application/pdf");
    expect(res.status).toBe(201);
    const attachment = (await res.json()) as Record<string, unknown>;
    const { status, json } = await chat({ text: "please file this pdf", attachments: [attachment] });
    expect(status).toBe(200);
    const text = textOf(lastUser(await requestWith("please file this pdf")));
    expect(text).toContain("[file invoice.pdf: application/pdf");
    expect(text).toContain("Invoice 4711 total 99 EUR");
    const history = (await (await daemon.api(`/api/sessions/${json.sessionId}/messages`)).json()) as { messages: Array<Record<string, unknown>> };
    const sent = history.messages.find((m) => m.role === "user")!;
    expect(sent.attachments).toEqual([attachment]);
  });

  it("a non-vision model gets one line naming the image, never bytes", async () => {
    const u = user(300);
    await u.say("/model plain");
    await u.waitReplies(1);
    platformFiles.set("photo-plain", new Uint8Array(wide));
    await u.say("", { text: undefined, caption: "for the text-only model", photo: [{ file_id: "photo-plain", file_unique_id: "pp", width: 3000, height: 1200, file_size: wide.length }] });
    const req = await requestWith("for the text-only model");
    expect(req.body?.model).toBe("local-text-model");
    const content = lastUser(req);
    expect(typeof content).toBe("string");
    expect(content).toMatch(/^for the text-only model\n\[file photo-\d+\.jpg: image\/jpeg, \d+ KB, uploads\/[^\]]+; this model cannot see images\]$/);
    expect(JSON.stringify(req.body)).not.toContain("base64");
  });

  it("prompt budget: an image is re-sent only while its turn is among the last uploads.recentTurns (3) turns", async () => {
    const attachment = (await (await upload(wide, "chart.png", "image/png")).json()) as { path: string };
    const first = await chat({ text: "turn-0 see chart", attachments: [attachment.path] }); // the upload id alone
    const sessionId = first.json.sessionId as string;
    for (const n of [1, 2, 3]) expect((await chat({ text: `turn-${n}`, sessionId })).status).toBe(200);
    const dataUrls = (marker: string) => (JSON.stringify(llm.requests.find((r) => textOf(lastUser(r)) === marker)?.body).match(/data:image/g) ?? []).length;
    const turn0 = llm.requests.find((r) => textOf(lastUser(r)).startsWith("turn-0 see chart"))!;
    expect(JSON.stringify(turn0.body).match(/data:image/g)).toHaveLength(1);
    expect(dataUrls("turn-2")).toBe(1); // turns 0..2: the image's turn is among the last 3
    expect(dataUrls("turn-3")).toBe(0); // turns 1..3: out of the window, one line instead
    const turn3 = llm.requests.find((r) => textOf(lastUser(r)) === "turn-3")!;
    expect(JSON.stringify(turn3.body)).toMatch(/\[file chart\.png: image\/png, \d+ KB, uploads\/[^\]]+; older than the recent turns/);
  });
});

describe("multipart POST /api/chat", () => {
  it("takes the text and files in one request: a PDF's text and a voice note's transcription reach the model", async () => {
    const form = new FormData();
    form.append("text", "one-request message");
    form.append("file", new Blob([new Uint8Array(tinyPdf("Lease ends 2027-03-31"))], { type: "application/pdf" }), "lease.pdf");
    form.append("voice", new Blob([new Uint8Array(777)], { type: "audio/ogg" }), "memo.ogg");
    const res = await fetch(`${daemon.url}/api/chat`, { method: "POST", headers: { authorization: `Bearer ${daemon.token}` }, body: form });
    expect(res.status).toBe(200);
    const text = textOf(lastUser(await requestWith("one-request message")));
    expect(text).toMatch(/^\[voice note memo\.ogg, transcribed\]\ntranscribed: 777 bytes\n\none-request message\n\[file lease\.pdf: application\/pdf/);
    expect(text).toContain("Lease ends 2027-03-31");
    const { sessionId } = (await res.json()) as { sessionId: string };
    const history = (await (await daemon.api(`/api/sessions/${sessionId}/messages`)).json()) as { messages: Array<{ role: string; attachments?: Array<{ filename: string; transcription?: string }> }> };
    expect(history.messages[0]!.attachments?.map((a) => [a.filename, a.transcription])).toEqual([["lease.pdf", undefined], ["memo.ogg", "transcribed: 777 bytes"]]);
  });

  it("a 30 MB file in a multipart message gets 413 and nothing is stored: no file, no message", async () => {
    const files = readdirSync(`${agentDir}/uploads`).length;
    const sessions = ((await (await daemon.api("/api/sessions")).json()) as { sessions: unknown[] }).sessions.length;
    const form = new FormData();
    form.append("text", "with a huge file");
    form.append("file", new Blob([new Uint8Array(30 * 1024 * 1024)]), "huge.bin");
    const res = await fetch(`${daemon.url}/api/chat`, { method: "POST", headers: { authorization: `Bearer ${daemon.token}` }, body: form });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/huge\.bin is larger than uploads\.maxBytes/);
    expect(readdirSync(`${agentDir}/uploads`)).toHaveLength(files);
    expect(((await (await daemon.api("/api/sessions")).json()) as { sessions: unknown[] }).sessions).toHaveLength(sessions);
    expect(llm.requests.some((r) => JSON.stringify(r.body).includes("with a huge file"))).toBe(false);
  });
});

describe("limits", () => {
  it("a 30 MB file sent on Telegram gets a clear refusal in the chat, and nothing reaches the agent", async () => {
    const u = user(400);
    const before = llm.requests.length;
    const files = readdirSync(`${agentDir}/uploads`).length;
    await u.say("", { text: undefined, caption: "my holiday video", document: { file_id: "huge", file_unique_id: "h", file_name: "holiday.mp4", mime_type: "video/mp4", file_size: 30_000_000 } });
    const [line] = await u.waitReplies(1);
    expect(line).toBe("I can't take holiday.mp4: it is 30.0 MB and the limit is 21.0 MB. Nothing was sent to the agent.");
    expect(llm.requests.slice(before).some((r) => JSON.stringify(r.body).includes("holiday"))).toBe(false);
    expect(readdirSync(`${agentDir}/uploads`).length).toBe(files);
  });

  it("a 30 MB upload over REST gets 413 with the limit, and nothing half-stored", async () => {
    const files = readdirSync(`${agentDir}/uploads`).length;
    const res = await upload(new Uint8Array(30 * 1024 * 1024), "big.bin", "application/octet-stream");
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("uploads.maxBytes");
    expect(readdirSync(`${agentDir}/uploads`)).toHaveLength(files);
  });

  it("a message referencing a file that is not an upload is refused and stores nothing", async () => {
    const { status, json } = await chat({ text: "steal", attachments: [{ path: "uploads/../agentd.yaml", filename: "x", mime: "text/plain", bytes: 1 }] });
    expect(status).toBe(400);
    expect(json.error.message).toContain("not a file under uploads/");
  });
});
