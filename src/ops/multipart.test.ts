import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { multipartBoundary, parseDisposition, parseMultipart, type PartInfo } from "./multipart.js";

async function encode(form: FormData): Promise<{ body: Buffer; boundary: string }> {
  const res = new Response(form);
  const boundary = multipartBoundary(res.headers.get("content-type") ?? undefined)!;
  return { body: Buffer.from(await res.arrayBuffer()), boundary };
}

async function* chunks(buf: Buffer, cuts: number[]): AsyncGenerator<Uint8Array> {
  let prev = 0;
  for (const c of [...new Set(cuts)].sort((a, b) => a - b)) {
    if (c <= prev || c >= buf.length) continue;
    yield buf.subarray(prev, c);
    prev = c;
  }
  yield buf.subarray(prev);
}

async function collect(body: AsyncIterable<Uint8Array>, boundary: string): Promise<Array<{ part: PartInfo; data: Buffer }>> {
  const parts: Array<{ part: PartInfo; data: Buffer[] }> = [];
  for await (const ev of parseMultipart(body, boundary)) {
    if (ev.type === "part") parts.push({ part: ev.part, data: [] });
    else parts.at(-1)!.data.push(Buffer.from(ev.chunk));
  }
  return parts.map((p) => ({ part: p.part, data: Buffer.concat(p.data) }));
}

describe("multipart parsing", () => {
  it("reads the fields and the file of a browser-style form, however the body is split", async () => {
    const bytes = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) % 256));
    // include something that looks like a boundary start inside the file
    bytes.write("\r\n--", 100, "latin1");
    const form = new FormData();
    form.append("note", "hello");
    form.append("file", new Blob([bytes], { type: "image/png" }), "photo.png");
    const { body, boundary } = await encode(form);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: body.length - 1 }), { maxLength: 12 }), async (cuts) => {
        const parts = await collect(chunks(body, cuts), boundary);
        expect(parts).toHaveLength(2);
        expect(parts[0]!.part.name).toBe("note");
        expect(parts[0]!.data.toString()).toBe("hello");
        expect(parts[1]!.part).toEqual({ name: "file", filename: "photo.png", contentType: "image/png" });
        expect(parts[1]!.data.equals(bytes)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it("reads a one-byte-at-a-time body and an empty file", async () => {
    const form = new FormData();
    form.append("file", new Blob([]), "empty.txt");
    const { body, boundary } = await encode(form);
    const parts = await collect(chunks(body, Array.from({ length: body.length }, (_, i) => i)), boundary);
    expect(parts).toHaveLength(1);
    expect(parts[0]!.data.length).toBe(0);
  });

  it("refuses a body cut before the closing boundary", async () => {
    const form = new FormData();
    form.append("file", new Blob(["abc"]), "a.txt");
    const { body, boundary } = await encode(form);
    await expect(collect(chunks(body.subarray(0, body.length - 10), []), boundary)).rejects.toMatchObject({ code: "bad_request" });
  });

  it("finds the boundary and file names, RFC 5987 names first", () => {
    expect(multipartBoundary("multipart/form-data; boundary=abc")).toBe("abc");
    expect(multipartBoundary('multipart/form-data; boundary="a b"')).toBe("a b");
    expect(multipartBoundary("application/json")).toBeUndefined();
    expect(parseDisposition('form-data; name="file"; filename="a \\"b\\".txt"')).toEqual({ name: "file", filename: 'a "b".txt' });
    expect(parseDisposition("form-data; name=file; filename=x.txt; filename*=UTF-8''M%C3%BCsli.txt")).toEqual({ name: "file", filename: "Müsli.txt" });
  });
});
