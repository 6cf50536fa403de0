import { describe, it, expect, afterAll } from "vitest";
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { receiveUpload } from "./uploads.js";
import { MAX_NAME_BYTES, sanitizeFileName, storedFileName, uploadMime } from "./safe-name.js";

const dirs: string[] = [];
const tempAgent = () => {
  const d = mkdtempSync(join(tmpdir(), "agentd-upload-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function request(file: Blob | string, filename: string, extra?: (f: FormData) => void): Request {
  const form = new FormData();
  extra?.(form);
  form.append("file", typeof file === "string" ? new Blob([file]) : file, filename);
  return new Request("http://x/api/upload", { method: "POST", body: form });
}

describe("receiveUpload", () => {
  it("stores the file under uploads/ and reports path, name, size and type", async () => {
    const dir = tempAgent();
    const up = await receiveUpload(request(new Blob(["hello world"], { type: "text/plain" }), "greeting.txt"), { dir, maxBytes: 1024 });
    expect(up).toMatchObject({ filename: "greeting.txt", bytes: 11, mime: "text/plain" });
    expect(up.path).toMatch(/^uploads\/\d{8}-\d{6}-[0-9a-f]{6}-greeting\.txt$/);
    expect(readFileSync(join(dir, up.path), "utf8")).toBe("hello world");
    expect(readdirSync(join(dir, "uploads"))).toHaveLength(1);
  });

  it("answers 413 above the limit and leaves nothing behind", async () => {
    const dir = tempAgent();
    await expect(receiveUpload(request("x".repeat(5000), "big.bin"), { dir, maxBytes: 4096 })).rejects.toMatchObject({ code: "payload_too_large" });
    expect(readdirSync(join(dir, "uploads"))).toEqual([]);
  });

  it("checks the bytes even when Content-Length is absent (a streamed body)", async () => {
    const dir = tempAgent();
    const encoded = new Response((() => {
      const f = new FormData();
      f.append("file", new Blob(["y".repeat(3000)]), "s.bin");
      return f;
    })());
    const stream = encoded.body!;
    const req = new Request("http://x/api/upload", { method: "POST", body: stream, headers: { "content-type": encoded.headers.get("content-type")! }, duplex: "half" } as RequestInit);
    await expect(receiveUpload(req, { dir, maxBytes: 2048 })).rejects.toMatchObject({ code: "payload_too_large" });
    expect(readdirSync(join(dir, "uploads"))).toEqual([]);
  });

  it("keeps a ../ file name inside uploads/", async () => {
    const dir = tempAgent();
    const up = await receiveUpload(request("secret", "../../../etc/passwd"), { dir, maxBytes: 1024 });
    expect(up.filename).toBe("passwd");
    expect(up.path.startsWith("uploads/")).toBe(true);
    expect(existsSync(join(dir, up.path))).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(["uploads"]);
  });

  it("refuses a body without a file or that is not multipart", async () => {
    const dir = tempAgent();
    const form = new FormData();
    form.append("note", "no file here");
    await expect(receiveUpload(new Request("http://x", { method: "POST", body: form }), { dir, maxBytes: 1024 })).rejects.toMatchObject({ code: "bad_request" });
    await expect(receiveUpload(new Request("http://x", { method: "POST", body: "{}", headers: { "content-type": "application/json" } }), { dir, maxBytes: 1024 })).rejects.toMatchObject({ code: "bad_request" });
    const two = request("a", "a.txt", (f) => f.append("file", new Blob(["b"]), "b.txt"));
    await expect(receiveUpload(two, { dir, maxBytes: 1024 })).rejects.toMatchObject({ code: "bad_request" });
    expect(readdirSync(join(dir, "uploads"))).toEqual([]);
  });
});

describe("safe file names", () => {
  it("drops folders, control characters and leading dots, and keeps the extension", () => {
    expect(sanitizeFileName("..\\..\\windows\\system.ini")).toBe("system.ini");
    expect(sanitizeFileName("a\u0000b\nc.txt")).toBe("abc.txt");
    expect(sanitizeFileName("..")).toBe("file");
    expect(sanitizeFileName(".env")).toBe("env");
    expect(sanitizeFileName('what?<is>"this".md')).toBe("what__is__this_.md");
    const long = sanitizeFileName(`${"n".repeat(300)}.jpeg`);
    expect(long.length).toBe(200);
    expect(long.endsWith(".jpeg")).toBe(true);
  });

  it("shortens by UTF-8 bytes at a character boundary, so the name on disk fits NAME_MAX", () => {
    const cjk = sanitizeFileName(`${"文".repeat(99)}.txt`);
    expect(Buffer.byteLength(cjk)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(cjk).toBe(`${"文".repeat(65)}.txt`);
    // an emoji is two UTF-16 code units: never half of one; a flag or a family emoji is never split either
    for (const unit of ["😀", "🇩🇪", "👩‍👩‍👧", "é"]) {
      const name = sanitizeFileName(unit.repeat(200));
      expect(Buffer.from(name).toString()).toBe(name);
      expect(name.length % unit.length).toBe(0);
      expect(name.replaceAll(unit, "")).toBe("");
    }
    expect(Buffer.byteLength(storedFileName("😀".repeat(300)))).toBeLessThanOrEqual(255);
    // a lone surrogate (not valid UTF-16) would be written as U+FFFD: replaced up front
    expect(sanitizeFileName("a\uD800b.txt")).toBe("a_b.txt");
  });

  it("prefixes a UTC time stamp and a random part", () => {
    const a = storedFileName("x.txt", new Date("2025-03-04T05:06:07Z"));
    expect(a).toMatch(/^20250304-050607-[0-9a-f]{6}-x\.txt$/);
    expect(storedFileName("x.txt")).not.toBe(storedFileName("x.txt"));
  });

  it("guesses audio types that curl sends as octet-stream", () => {
    expect(uploadMime("application/octet-stream", "voice.ogg")).toBe("audio/ogg");
    expect(uploadMime(undefined, "a.mp3")).toBe("audio/mpeg");
    expect(uploadMime("Image/PNG; charset=x", "a.png")).toBe("image/png");
    expect(uploadMime("bogus", "a.bin")).toBe("application/octet-stream");
  });
});
