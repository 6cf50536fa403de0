import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UploadsConfig } from "../config/schema.js";
import { attachmentOfPath, checkAttachments, fileLine, messageText } from "./files.js";
import { acceptsImages, imageTokens } from "./vision.js";

const dir = mkdtempSync(join(tmpdir(), "agentd-media-"));
mkdirSync(join(dir, "uploads"));
writeFileSync(join(dir, "uploads", "a.txt"), "x".repeat(3000));
writeFileSync(join(dir, "uploads", "b.txt"), "y".repeat(3000));
writeFileSync(join(dir, "secret.txt"), "no");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const a = { path: "uploads/a.txt", filename: "a.txt", mime: "text/plain", bytes: 1 };
const b = { path: "uploads/b.txt", filename: "b.txt", mime: "text/plain", bytes: 1 };
const limits = (p: Partial<UploadsConfig>) => UploadsConfig.parse(p);

describe("checkAttachments", () => {
  it("takes stored uploads and replaces the claimed size with the real one", () => {
    expect(checkAttachments(dir, [a], limits({}))).toEqual([{ ...a, bytes: 3000 }]);
  });
  it("refuses paths outside uploads/, missing files, and each limit with its name", () => {
    expect(() => checkAttachments(dir, [{ ...a, path: "uploads/../secret.txt" }], limits({}))).toThrow(/not a file under uploads/);
    expect(() => checkAttachments(dir, [{ ...a, path: "/etc/passwd" }], limits({}))).toThrow(/not a file under uploads/);
    expect(() => checkAttachments(dir, [{ ...a, path: "uploads/nope.txt" }], limits({}))).toThrow(/does not exist/);
    expect(() => checkAttachments(dir, [a, b], limits({ maxFiles: 1 }))).toThrow(/2 files in one message; the limit is 1 \(uploads.maxFiles\)/);
    expect(() => checkAttachments(dir, [a], limits({ maxBytes: 2048 }))).toThrow(/a.txt is 3 KB; the limit is 2 KB per file \(uploads.maxBytes\)/);
    expect(() => checkAttachments(dir, [a, b], limits({ maxMessageBytes: 5000 }))).toThrow(/take 6 KB; the limit is 5 KB per message/);
  });
});

describe("message text and file lines", () => {
  it("a voice note's transcription becomes the text, with the caption after it", () => {
    const voice = { path: "uploads/v.ogg", filename: "v.ogg", mime: "audio/ogg", bytes: 9, transcription: " call mum " };
    expect(messageText("", [voice])).toBe("[voice note v.ogg, transcribed]\ncall mum");
    expect(messageText("urgent", [voice, a])).toBe("[voice note v.ogg, transcribed]\ncall mum\n\nurgent");
    expect(messageText("hi", [{ ...voice, transcription: undefined }])).toMatch(/^\[voice note v.ogg: not transcribed/);
  });
  it("names a file with type, size and path; an upload id alone gives the original name and type", () => {
    expect(fileLine({ ...a, bytes: 1_234_567 }, "note")).toBe("[file a.txt: text/plain, 1.2 MB, uploads/a.txt; note]");
    expect(attachmentOfPath("uploads/20261127-103000-ab12cd-receipt.PDF")).toEqual({ path: "uploads/20261127-103000-ab12cd-receipt.PDF", filename: "receipt.PDF", mime: "application/pdf", bytes: 0 });
  });
});

describe("vision", () => {
  it("uses models.<name>.input when set, else knows well-known vision models", () => {
    for (const m of ["gpt-4o-mini", "gpt-4.1", "claude-sonnet-4-5", "gemini-2.5-flash", "anthropic/claude-3-haiku", "qwen2.5-vl-7b", "llava:13b"]) expect(acceptsImages({ model: m }), m).toBe(true);
    for (const m of ["gpt-3.5-turbo", "llama3.1:8b", "deepseek-chat", "o3-mini"]) expect(acceptsImages({ model: m }), m).toBe(false);
    expect(acceptsImages({ model: "gpt-4o", input: ["text"] })).toBe(false);
    expect(acceptsImages({ model: "my-local", input: ["text", "image"] })).toBe(true);
  });
  it("counts image tokens as OpenAI does at high detail", () => {
    expect(imageTokens(1024, 1024)).toBe(765); // OpenAI's worked example: 768x768, 4 tiles
    expect(imageTokens(2048, 4096)).toBe(1105); // 768x1536, 6 tiles
    expect(imageTokens(100, 100)).toBe(255);
  });
});
