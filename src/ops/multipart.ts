import { AgentdError } from "../errors.js";

/** The headers of one multipart part that matter to agentd: the form field name, the file name and its type. */
export interface PartInfo {
  name: string | undefined;
  filename: string | undefined;
  contentType: string | undefined;
}

/** What {@link parseMultipart} yields: the start of a part (its headers), then its body in order as `data` chunks. */
export type MultipartEvent = { type: "part"; part: PartInfo } | { type: "data"; chunk: Buffer };

const CRLF = Buffer.from("\r\n");
const HEADER_END = Buffer.from("\r\n\r\n");

const malformed = (why: string) => new AgentdError("bad_request", `malformed multipart body: ${why}`, { details: { path: "body" } });

/**
 * The boundary of a `multipart/form-data` Content-Type (RFC 7578 §4.1, RFC 2046 §5.1.1: 1–70 characters,
 * optionally quoted), or undefined when the type is not multipart/form-data or has no valid boundary.
 */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^\s*multipart\/form-data\s*(;|$)/i.test(contentType)) return undefined;
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  return m?.[1] ?? m?.[2];
}

/**
 * Parses the parameters of a `Content-Disposition` header value (`form-data; name="file"; filename="a.txt"`).
 * `filename*` (RFC 5987/8187, `UTF-8''a%20b.txt`) wins over `filename`. Quoted values may escape `"` and `\`.
 */
export function parseDisposition(value: string): { name?: string; filename?: string } {
  const params = new Map<string, string>();
  for (const m of value.matchAll(/;\s*([\w*.-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g)) {
    const raw = (m[2] ?? "").trim();
    params.set((m[1] ?? "").toLowerCase(), raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, "$1") : raw);
  }
  const out: { name?: string; filename?: string } = {};
  const name = params.get("name");
  if (name !== undefined) out.name = name;
  const extended = params.get("filename*");
  const ext = extended ? /^[\w-]*'[^']*'(.*)$/.exec(extended) : null;
  if (ext) {
    try {
      out.filename = decodeURIComponent(ext[1] ?? "");
    } catch {
      /* fall back to the plain filename */
    }
  }
  const plain = params.get("filename");
  if (out.filename === undefined && plain !== undefined) out.filename = plain;
  return out;
}

function parseHeaders(block: string): PartInfo {
  const info: PartInfo = { name: undefined, filename: undefined, contentType: undefined };
  for (const line of block.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === "content-disposition") Object.assign(info, parseDisposition(value));
    else if (key === "content-type") info.contentType = value;
  }
  return info;
}

/**
 * Streams a `multipart/form-data` body (RFC 7578) without buffering it: yields each part's headers, then its
 * bytes as they arrive, holding back at most one delimiter's length. The consumer pulls, so writing a part to
 * disk applies backpressure to the socket. Part headers are limited to `maxHeaderBytes` (default 16 KiB).
 * Throws a `bad_request` {@link AgentdError} for a body that does not follow the format or ends before the
 * closing delimiter. Epilogue bytes after the closing delimiter are ignored.
 */
export async function* parseMultipart(body: AsyncIterable<Uint8Array>, boundary: string, opts: { maxHeaderBytes?: number } = {}): AsyncGenerator<MultipartEvent> {
  const maxHeaderBytes = opts.maxHeaderBytes ?? 16_384;
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const keep = delimiter.length - 1;
  // a leading CRLF lets the first boundary (which may open the body) be found like every later delimiter
  let buf: Buffer = Buffer.from(CRLF);
  let state: "preamble" | "after-boundary" | "headers" | "body" | "done" = "preamble";
  for await (const chunk of body) {
    if (state === "done") continue; // drain the epilogue
    buf = buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([buf, chunk]);
    for (;;) {
      if (state === "preamble") {
        const i = buf.indexOf(delimiter);
        if (i < 0) {
          buf = buf.subarray(Math.max(0, buf.length - keep));
          break;
        }
        buf = buf.subarray(i + delimiter.length);
        state = "after-boundary";
      } else if (state === "after-boundary") {
        // optional transport padding (spaces, tabs) then "--" (close) or CRLF (next part)
        let j = 0;
        while (j < buf.length && (buf[j] === 0x20 || buf[j] === 0x09)) j++;
        if (buf.length - j < 2) break;
        if (buf[j] === 0x2d && buf[j + 1] === 0x2d) {
          state = "done";
          buf = Buffer.alloc(0);
          break;
        }
        if (buf[j] !== 0x0d || buf[j + 1] !== 0x0a) throw malformed("expected a line break after the boundary");
        buf = buf.subarray(j + 2);
        state = "headers";
      } else if (state === "headers") {
        let end: number;
        let skip: number;
        if (buf.length >= 2 && buf[0] === 0x0d && buf[1] === 0x0a) {
          end = 0; // a part without headers
          skip = 2;
        } else {
          end = buf.indexOf(HEADER_END);
          skip = 4;
        }
        if (end < 0) {
          if (buf.length > maxHeaderBytes) throw malformed(`part headers longer than ${maxHeaderBytes} bytes`);
          break;
        }
        if (end > maxHeaderBytes) throw malformed(`part headers longer than ${maxHeaderBytes} bytes`);
        const part = parseHeaders(buf.subarray(0, end).toString("utf8"));
        buf = buf.subarray(end + skip);
        state = "body";
        yield { type: "part", part };
      } else if (state === "body") {
        const i = buf.indexOf(delimiter);
        if (i < 0) {
          if (buf.length > keep) {
            const out = buf.subarray(0, buf.length - keep);
            buf = buf.subarray(buf.length - keep);
            yield { type: "data", chunk: out };
          }
          break;
        }
        if (i > 0) yield { type: "data", chunk: buf.subarray(0, i) };
        buf = buf.subarray(i + delimiter.length);
        state = "after-boundary";
      } else {
        break;
      }
    }
  }
  if (state !== "done") throw malformed("it ended before the closing boundary");
}
