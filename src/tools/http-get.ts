import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import type { Readable } from "node:stream";
import { AgentdError } from "../errors.js";
import { BlockedUrlError } from "./errors.js";
import { isPrivateAddress, systemResolver, type Resolver } from "./net-guard.js";

/** What {@link guardedGet} needs: limits, the address policy and (for tests) the resolver. */
export interface GuardedGetOptions {
  signal: AbortSignal;
  /** Most bytes of the decompressed body; over it the request fails with `payload_too_large`. */
  maxBytes: number;
  maxRedirects: number;
  /** When false, URLs whose host is or resolves to an address for which `isBlocked` is true are refused. */
  allowPrivateNetwork: boolean;
  /** Default {@link isPrivateAddress}. */
  isBlocked?: (ip: string) => boolean;
  /** Default {@link systemResolver}. */
  resolve?: Resolver;
  headers?: Record<string, string>;
}

/** The response of {@link guardedGet}: status, final URL (after redirects), content type and body bytes. */
export interface GuardedResponse {
  status: number;
  url: string;
  contentType: string;
  body: Buffer;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * GET `url` with SSRF protection (OWASP SSRF Prevention Cheat Sheet): only `http:`/`https:`; unless
 * `allowPrivateNetwork`, a literal private address is refused, and a host name is resolved by `resolve` and
 * refused when any of its addresses is private; the socket then connects to the very address that was checked
 * (the check sits in the socket's `lookup`, so a second DNS answer cannot swap it: DNS rebinding). Redirects
 * (RFC 9110 §15.4) are followed by hand up to `maxRedirects`, each target checked again. Bodies are decompressed
 * (gzip, deflate, br) and capped at `maxBytes`. Throws {@link BlockedUrlError}, AgentdError `payload_too_large`,
 * `timeout`/`aborted` (from `signal`) or `unavailable` (network errors, too many redirects).
 */
export async function guardedGet(url: string, opts: GuardedGetOptions): Promise<GuardedResponse> {
  const isBlocked = opts.isBlocked ?? isPrivateAddress;
  const resolve = opts.resolve ?? systemResolver;
  let current = url;
  for (let hop = 0; ; hop++) {
    let u: URL;
    try {
      u = new URL(current);
    } catch {
      throw new BlockedUrlError(current, "it is not a valid URL");
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new BlockedUrlError(current, `only http and https URLs can be fetched, not ${u.protocol}`);
    const host = u.hostname.replace(/^\[|\]$/g, "");
    if (!opts.allowPrivateNetwork && isIP(host) && isBlocked(host)) {
      throw new BlockedUrlError(current, "it is a private, loopback or link-local address (tools.web_fetch.allowPrivateNetwork is off)", host);
    }
    const lookup: LookupFunction = (hostname, options, cb) => {
      resolve(hostname).then((addrs) => {
        if (addrs.length === 0) throw new AgentdError("unavailable", `${hostname} has no address`);
        const bad = opts.allowPrivateNetwork ? undefined : addrs.find((a) => isBlocked(a.address));
        if (bad) throw new BlockedUrlError(current, `${hostname} resolves to a private, loopback or link-local address (tools.web_fetch.allowPrivateNetwork is off)`, bad.address);
        const first = addrs[0]!;
        if ((options as { all?: boolean }).all) (cb as (e: null, a: typeof addrs) => void)(null, addrs);
        else cb(null, first.address, first.family);
      }).catch((err: Error) => cb(err as NodeJS.ErrnoException, "", 0));
    };
    const res = await send(u, lookup, opts);
    if (REDIRECTS.has(res.statusCode ?? 0) && res.headers.location) {
      res.resume();
      if (hop >= opts.maxRedirects) throw new AgentdError("unavailable", `${url}: more than ${opts.maxRedirects} redirects`);
      current = new URL(res.headers.location, u).toString();
      continue;
    }
    const body = await readCapped(res, opts.maxBytes, opts.signal);
    return { status: res.statusCode ?? 0, url: u.toString(), contentType: String(res.headers["content-type"] ?? ""), body };
  }
}

function send(u: URL, lookup: LookupFunction, opts: GuardedGetOptions): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = (u.protocol === "https:" ? httpsRequest : httpRequest)(u, {
      method: "GET", lookup, signal: opts.signal, agent: false,
      headers: { "user-agent": "agentd-web-fetch", accept: "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5", "accept-encoding": "gzip, deflate, br", ...opts.headers },
    }, resolve);
    req.on("error", (err) => reject(toError(err, u, opts.signal)));
    req.end();
  });
}

function toError(err: Error, u: URL, signal: AbortSignal): Error {
  if (err instanceof AgentdError) return err;
  if (signal.aborted) return signal.reason instanceof Error && signal.reason.name === "TimeoutError" ? new AgentdError("timeout", `${u.href}: timed out`) : new AgentdError("aborted", "aborted");
  return new AgentdError("unavailable", `${u.href}: ${(err as NodeJS.ErrnoException).code ?? err.message}`, { retryable: true });
}

function readCapped(res: IncomingMessage, maxBytes: number, signal: AbortSignal): Promise<Buffer> {
  const enc = String(res.headers["content-encoding"] ?? "").trim().toLowerCase();
  const stream: Readable = enc === "gzip" || enc === "x-gzip" ? res.pipe(createGunzip()) : enc === "deflate" ? res.pipe(createInflate()) : enc === "br" ? res.pipe(createBrotliDecompress()) : res;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on("data", (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) {
        res.destroy();
        stream.destroy();
        reject(new AgentdError("payload_too_large", `the response is larger than ${maxBytes} bytes (tools.web_fetch.maxBytes)`));
        return;
      }
      chunks.push(c);
    });
    stream.on("end", () => resolve(Buffer.concat(chunks)));
    stream.on("error", (err) => reject(signal.aborted ? toError(err, new URL("about:blank"), signal) : new AgentdError("unavailable", `reading the response failed: ${err.message}`)));
    res.on("error", (err) => reject(toError(err, new URL("about:blank"), signal)));
  });
}
