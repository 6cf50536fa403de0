import { describe, it, expect, afterAll, beforeAll } from "vitest";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fetchBytes } from "./download.js";

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/small") res.end("hello");
    else if (req.url === "/big-chunked") {
      res.writeHead(200); // no content-length: the cap is enforced while reading
      res.write("x".repeat(600));
      res.end("y".repeat(600));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => void server.close());

describe("fetchBytes", () => {
  it("downloads a file into memory", async () => {
    expect(new TextDecoder().decode(await fetchBytes(`${base}/small`))).toBe("hello");
  });

  it("refuses a file over the limit, by content-length or while streaming", async () => {
    await expect(fetchBytes(`${base}/small`, { maxBytes: 3 })).rejects.toThrow(/too large/);
    await expect(fetchBytes(`${base}/big-chunked`, { maxBytes: 1_000 })).rejects.toThrow(/too large/);
  });

  it("reports an HTTP error without the URL (it may hold a bot token)", async () => {
    const err = await fetchBytes(`${base}/file/botSECRET-TOKEN/x`).catch((e: Error) => e);
    expect(String(err)).toMatch(/HTTP 404/);
    expect(String(err)).not.toContain("SECRET");
  });
});
