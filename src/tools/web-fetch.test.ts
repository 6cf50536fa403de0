import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import { gzipSync } from "node:zlib";
import type { AddressInfo } from "node:net";
import { WebFetchConfig } from "../config/sections/tools.js";
import { webFetch } from "./web-fetch.js";
import { isPrivateAddress, type Resolver } from "./net-guard.js";

const ARTICLE = `<!doctype html><html><head><title>Otters of the Rhine</title></head><body>
<nav><a href="/">Home</a> | <a href="/about">About</a> | <a href="/shop">Shop</a></nav>
<article><h1>Otters of the Rhine</h1>
<p>Otters came back to the Rhine in the last decade, after the river was cleaned. Their numbers grow each year, and
volunteers count them every spring along the banks between Basel and Mainz.</p>
<p>They eat <strong>fish</strong> and crayfish, and they need clean water and quiet banks to raise their young.
A single otter can range over twenty kilometres of river, so a healthy population needs a long, connected stretch.</p>
<h2>How to help</h2><p>Read the <a href="/survey/guide.html">survey guide</a> first.</p><ul><li>Keep dogs on a leash near the water</li><li>Report sightings to the survey</li></ul>
</article><footer>© 2026 River Society · Imprint · Privacy</footer><script>alert("x")</script></body></html>`;

let server: Server;
let port: number;
const hits: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url!);
    if (req.url === "/article") return void res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(ARTICLE);
    if (req.url === "/gz") return void res.writeHead(200, { "content-type": "text/plain", "content-encoding": "gzip" }).end(gzipSync("compressed text"));
    if (req.url === "/big") return void res.writeHead(200, { "content-type": "text/plain" }).end("x".repeat(5000));
    if (req.url === "/to-private") return void res.writeHead(302, { location: "http://internal.example/secret" }).end();
    if (req.url === "/to-loopback") return void res.writeHead(301, { location: `http://127.0.0.2:${port}/article` }).end();
    if (req.url === "/to-article") return void res.writeHead(302, { location: "/article" }).end();
    if (req.url === "/loop") return void res.writeHead(302, { location: "/loop" }).end();
    if (req.url === "/huge-article") return void res.writeHead(200, { "content-type": "text/html" }).end(`<html><body><article>${"<div><p>Otters came back to the Rhine after the <a href='/x'>river</a> was cleaned, and their numbers <b>grow</b>.</p></div>".repeat(4000)}</article></body></html>`);
    if (req.url === "/binary") return void res.writeHead(200, { "content-type": "image/png" }).end(Buffer.alloc(10));
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const signal = () => new AbortController().signal;
const cfg = (over: Partial<WebFetchConfig> = {}) => ({ ...WebFetchConfig.parse({}), ...over });
// "public.example" stands for a public host; it is served by the local test server, which this policy treats as public
const resolve: Resolver = async (host) => (host === "public.example" ? [{ address: "127.0.0.1", family: 4 }] : host === "internal.example" ? [{ address: "10.1.2.3", family: 4 }] : []);
const asPublic = { resolve, isBlocked: (ip: string) => ip !== "127.0.0.1" && isPrivateAddress(ip) };

describe("web_fetch", () => {
  it("returns a local page's article as Markdown, without navigation, footer or script (allowPrivateNetwork)", async () => {
    const page = await webFetch(`http://127.0.0.1:${port}/article`, cfg({ allowPrivateNetwork: true }), signal());
    expect(page).toMatchObject({ title: "Otters of the Rhine", url: `http://127.0.0.1:${port}/article`, status: 200 });
    expect(page.markdown).toContain("They eat **fish** and crayfish");
    expect(page.markdown).toMatch(/## How to help/);
    expect(page.markdown).toMatch(/^-\s+Keep dogs on a leash near the water$/m);
    expect(page.markdown).not.toMatch(/Imprint|alert|Shop/);
    expect(page.markdown).toContain(`Read the [survey guide](http://127.0.0.1:${port}/survey/guide.html) first.`);
  });

  it("refuses http://127.0.0.1:… by default, before connecting", async () => {
    const before = hits.length;
    await expect(webFetch(`http://127.0.0.1:${port}/article`, cfg(), signal())).rejects.toMatchObject({ code: "bad_request", details: { address: "127.0.0.1" } });
    for (const url of [`http://localhost:${port}/article`, `http://[::1]:${port}/`, `http://[::ffff:127.0.0.1]:${port}/`, "http://169.254.169.254/latest/meta-data", "http://10.0.0.1/", "http://192.168.1.1/", "http://2130706433/", "http://0x7f.1/", "http://[fe80::1]/"]) {
      await expect(webFetch(url, cfg(), signal()), url).rejects.toThrow(/private, loopback or link-local/);
    }
    expect(hits.length).toBe(before);
  });

  it("re-checks every redirect: from an allowed host to a private name or address is refused", async () => {
    const page = await webFetch(`http://public.example:${port}/to-article`, cfg(), signal(), asPublic);
    expect(page).toMatchObject({ url: `http://public.example:${port}/article`, title: "Otters of the Rhine" });
    await expect(webFetch(`http://public.example:${port}/to-private`, cfg(), signal(), asPublic)).rejects.toMatchObject({ code: "bad_request", details: { address: "10.1.2.3" } });
    await expect(webFetch(`http://public.example:${port}/to-loopback`, cfg(), signal(), asPublic)).rejects.toMatchObject({ details: { address: "127.0.0.2" } });
  });

  it("refuses a name when any of its addresses is private (a rebinding answer)", async () => {
    const mixed: Resolver = async () => [{ address: "93.184.216.34", family: 4 }, { address: "127.0.0.1", family: 4 }];
    await expect(webFetch(`http://rebind.example:${port}/article`, cfg(), signal(), { resolve: mixed })).rejects.toMatchObject({ details: { address: "127.0.0.1" } });
  });

  it("refuses other schemes, stops at maxRedirects and maxBytes, decompresses gzip, refuses binary types", async () => {
    for (const url of ["file:///etc/passwd", "ftp://example.com/", "javascript:alert(1)", "not a url"]) {
      await expect(webFetch(url, cfg({ allowPrivateNetwork: true }), signal()), url).rejects.toMatchObject({ code: "bad_request" });
    }
    const local = cfg({ allowPrivateNetwork: true, maxRedirects: 3, maxBytes: 4096 });
    await expect(webFetch(`http://127.0.0.1:${port}/loop`, local, signal())).rejects.toThrow(/more than 3 redirects/);
    await expect(webFetch(`http://127.0.0.1:${port}/big`, local, signal())).rejects.toMatchObject({ code: "payload_too_large" });
    expect((await webFetch(`http://127.0.0.1:${port}/gz`, local, signal())).markdown).toBe("compressed text");
    await expect(webFetch(`http://127.0.0.1:${port}/binary`, local, signal())).rejects.toThrow(/image\/png cannot be read/);
  });

  it("extracts in a worker thread that the timeout stops (in-thread, the extraction could not be interrupted)", async () => {
    await expect(webFetch(`http://127.0.0.1:${port}/huge-article`, cfg({ allowPrivateNetwork: true, timeoutMs: 1000 }), signal())).rejects.toMatchObject({ code: "timeout" });
  });

  it("classifies addresses as the IANA special-purpose registries do", () => {
    for (const ip of ["127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.0.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "::", "fe80::1", "fd00::1", "::ffff:10.0.0.1", "224.0.0.1"]) expect(isPrivateAddress(ip), ip).toBe(true);
    for (const ip of ["93.184.216.34", "8.8.8.8", "172.32.0.1", "2606:4700::1111", "::ffff:8.8.8.8"]) expect(isPrivateAddress(ip), ip).toBe(false);
  });
});
