/**
 * Issue 12, "Out": the agent sends files. The real daemon started through the CLI supervises the real Telegram
 * bridge, which talks to the Bot API stand-in behind the shim (it parses the multipart uploads and records them);
 * the scripted model calls `send_file`. A vault PDF arrives as a document, an image as a photo, generated text as
 * a document, and a path outside the agent's sendable folders is refused with nothing sent.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FAKE_SPEECH_OGG, startFakeLlm, type FakeLlm, type RecordedRequest, type ScriptedTurn } from "./support/fake-llm.js";
import { startTelegramShim, type TelegramShim } from "./support/telegram-shim.js";
import { cleanup, initAgent, startDaemon, waitFor, type RunningDaemon } from "./support/daemon.js";
import type { Delivery } from "../protocol/deliveries.js";

const TOKEN = "888:media-out-token";
/** A minimal PDF (header, one empty page, trailer): what matters is the bytes arriving unchanged. */
const PDF = Buffer.from("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n");
/** A 1x1 PNG. */
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");

let llm: FakeLlm;
let shim: TelegramShim;
let agent: { dir: string };
let daemon: RunningDaemon;

/** The text of the last message of a request, and whether it is a tool result (the run's second model call). */
function last(req: RecordedRequest): { role: string; content: string } {
  const m = req.body.messages.at(-1) as { role: string; content: unknown };
  return { role: m.role, content: typeof m.content === "string" ? m.content : JSON.stringify(m.content) };
}

/** User text "send <json args>" → a `send_file` call with those args; the tool result → "Done: <result>". */
function script(req: RecordedRequest): ScriptedTurn {
  const m = last(req);
  if (m.role === "tool") return { text: `Done: ${m.content}` };
  const args = /send (\{.*\})\s*$/.exec(m.content)?.[1];
  return args ? { toolCalls: [{ name: "send_file", arguments: args }] } : { text: `You said: ${m.content}` };
}

async function say(chatId: number, text: string): Promise<void> {
  const user = shim.emulator.getClient(TOKEN, { userId: chatId, chatId, userName: `u${chatId}`, firstName: "U" });
  await user.sendMessage(user.makeMessage(text) as never);
}

const deliveriesTo = async (chatId: number): Promise<Delivery[]> =>
  ((await (await daemon.api(`/api/deliveries?platform=telegram&limit=1000`)).json()) as { deliveries: Delivery[] }).deliveries.filter((d) => d.address.chatId === String(chatId));

beforeAll(async () => {
  llm = await startFakeLlm({ defaultTurn: script });
  shim = await startTelegramShim();
  agent = await initAgent({
    llmUrl: llm.url,
    edit: (cfg) => {
      cfg.agent = { ...cfg.agent, titleSessions: false };
      cfg.channels = { telegram: { enabled: true, policy: "open", botToken: TOKEN, apiRoot: shim.apiRoot } };
    },
  });
  mkdirSync(join(agent.dir, "vault", "docs"), { recursive: true });
  writeFileSync(join(agent.dir, "vault", "docs", "quarterly-report.pdf"), PDF);
  writeFileSync(join(agent.dir, "vault", "docs", "chart.png"), PNG);
  daemon = await startDaemon(agent.dir);
});

afterAll(async () => {
  await daemon?.stop();
  cleanup(agent.dir);
  await shim?.close();
  await llm?.close();
});

describe("send_file through the outbox to Telegram", () => {
  it("sends a vault note's PDF as a document (sendDocument, the file's bytes and name), caption first, as a reply to nothing", async () => {
    await say(5101, 'send {"path":"docs/quarterly-report.pdf","caption":"Here is the report"}');
    const file = await waitFor(() => shim.files.find((f) => f.chatId === "5101"), "the PDF upload", 30_000);
    expect(file.method).toBe("sendDocument");
    expect(file.fileName).toBe("quarterly-report.pdf");
    expect(file.bytes.equals(PDF)).toBe(true);
    const texts = await waitFor(() => (shim.sent(5101).length >= 2 ? shim.sent(5101).map((m) => m.text) : undefined), "the caption and the reply");
    expect(texts[0]).toBe("Here is the report");
    expect(texts[1]).toMatch(/^Done: queued quarterly-report\.pdf \(document, application\/pdf, \d+ bytes\)/);
    const ds = await waitFor(async () => {
      const all = await deliveriesTo(5101);
      return all.length === 2 && all.every((d) => d.state === "delivered") ? all : undefined;
    }, "both deliveries delivered");
    const withFile = ds.find((d) => d.attachments.length > 0)!;
    expect(withFile.attachments).toEqual([{ path: "vault/docs/quarterly-report.pdf", name: "quarterly-report.pdf", mime: "application/pdf", bytes: PDF.length, kind: "document" }]);
    // the caption's message id, then the document's
    expect(withFile.platformMessageIds).toHaveLength(2);
    expect(withFile.platformMessageIds[1]).toBe(String(file.messageId));
  });

  it("sends an image as a photo (sendPhoto), and generated text as a document written to uploads/", async () => {
    await say(5102, 'send {"path":"vault/docs/chart.png"}');
    const photo = await waitFor(() => shim.files.find((f) => f.chatId === "5102"), "the photo upload", 30_000);
    expect(photo.method).toBe("sendPhoto");
    expect(photo.bytes.equals(PNG)).toBe(true);

    await say(5103, 'send {"content":"# Shopping\\n- milk\\n","name":"list.md"}');
    const doc = await waitFor(() => shim.files.find((f) => f.chatId === "5103"), "the generated file", 30_000);
    expect(doc.method).toBe("sendDocument");
    expect(doc.fileName).toBe("list.md");
    expect(doc.bytes.toString()).toBe("# Shopping\n- milk\n");
  });

  it("refuses a path outside vault/, uploads/ and workspace/, telling the model, sending no file", async () => {
    const before = shim.files.length;
    await say(5104, 'send {"path":"../agentd.yaml"}');
    const reply = await waitFor(() => shim.sent(5104)[0]?.text, "the reply", 30_000);
    expect(reply).toMatch(/^Done: .*must be relative, under vault\/, uploads\/ or workspace\//);
    await say(5104, 'send {"path":"vault/../agentd.yaml"}');
    await waitFor(() => shim.sent(5104)[1]?.text, "the second reply", 30_000);
    expect(shim.sent(5104)[1]!.text).toMatch(/^Done: .*must be relative/);
    expect(shim.files.length).toBe(before);
    expect((await deliveriesTo(5104)).every((d) => d.attachments.length === 0)).toBe(true);
  });

  it("serves a delivery's file only with the token, and 404 for an unknown index", async () => {
    const d = (await deliveriesTo(5101)).find((x) => x.attachments.length > 0)!;
    const ok = await daemon.api(`/api/deliveries/${d.id}/attachments/0`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toBe("application/pdf");
    expect(Buffer.from(await ok.arrayBuffer()).equals(PDF)).toBe(true);
    expect((await daemon.api(`/api/deliveries/${d.id}/attachments/3`)).status).toBe(404);
    const anon = await fetch(`${daemon.url}/api/deliveries/${d.id}/attachments/0`);
    expect(anon.status).toBe(401);
  });

  it("gives protocol clients the reply's files in run.done (REST /api/chat answers with it), with no chat to deliver to", async () => {
    const before = (await (await daemon.api("/api/deliveries?limit=1000")).json() as { deliveries: Delivery[] }).deliveries.length;
    const res = await daemon.api("/api/chat", { method: "POST", body: JSON.stringify({ text: 'send {"path":"docs/chart.png"}' }) });
    expect(res.status).toBe(200);
    const done = (await res.json()) as { text: string; attachments?: unknown };
    expect(done.attachments).toEqual([{ path: "vault/docs/chart.png", name: "chart.png", mime: "image/png", bytes: PNG.length, kind: "image" }]);
    expect(done.text).toMatch(/^Done: attached chart\.png \(image, image\/png, \d+ bytes\) to your reply/);
    expect((await (await daemon.api("/api/deliveries?limit=1000")).json() as { deliveries: Delivery[] }).deliveries.length).toBe(before);
  });
});

describe("voice replies (channels.telegram.voiceReplies: always)", () => {
  let voiceAgent: { dir: string };
  let voiceDaemon: RunningDaemon;
  beforeAll(async () => {
    voiceAgent = await initAgent({
      llmUrl: llm.url,
      edit: (cfg) => {
        cfg.agent = { ...cfg.agent, titleSessions: false };
        cfg.models = { ...cfg.models, tts: { provider: "openai", model: "tts-1" } };
        cfg.uploads = { speechModel: "tts", speechVoice: "nova" };
        cfg.channels = { telegram: { enabled: true, policy: "open", botToken: "889:voice-token", apiRoot: shim.apiRoot, voiceReplies: "always" } };
      },
    });
    voiceDaemon = await startDaemon(voiceAgent.dir);
  });
  afterAll(async () => {
    await voiceDaemon?.stop();
    cleanup(voiceAgent.dir);
  });

  it("speaks the reply through /audio/speech and sends it as a voice note; the text stays in the history", async () => {
    const user = shim.emulator.getClient("889:voice-token", { userId: 5201, chatId: 5201, userName: "v", firstName: "V" });
    await user.sendMessage(user.makeMessage("hello there") as never);
    const voice = await waitFor(() => shim.files.find((f) => f.chatId === "5201"), "the voice note", 30_000);
    expect(voice.method).toBe("sendVoice");
    const spoken = llm.speech.at(-1)!;
    expect(spoken).toMatchObject({ model: "tts-1", voice: "nova", response_format: "opus" });
    expect(spoken.input).toMatch(/^You said: .*hello there/);
    expect(voice.bytes.equals(Buffer.concat([FAKE_SPEECH_OGG, Buffer.from(spoken.input)]))).toBe(true);
    expect(voice.fileName).toBe("reply.ogg");
    expect(shim.sent(5201)).toEqual([]); // the voice note instead of the text
    const sessions = (await (await voiceDaemon.api("/api/sessions")).json()) as { sessions: Array<{ id: string }> };
    const texts: string[] = [];
    for (const s of sessions.sessions) {
      const h = (await (await voiceDaemon.api(`/api/sessions/${s.id}/messages`)).json()) as { messages: Array<{ role: string; content: string }> };
      texts.push(...h.messages.filter((m) => m.role === "assistant").map((m) => m.content));
    }
    expect(texts).toContain(spoken.input);
  });
});

