/**
 * Clear refusals for files a chat user sent that cannot reach the agent (issue 12: "over the limit gets a clear
 * message to the user, never a silent drop"). The message is then not forwarded at all, so nothing is half-stored.
 */
import type { WireError } from "../../protocol/errors.js";

/** `1.2 MB`, `340 KB`: a size for people (decimal units, as phones show them). */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${Math.round(bytes / 1e3)} KB`;
  return `${bytes} B`;
}

/** A file the bridge refuses; `userLine` is the one sentence the chat user sees (it names the file and the limit). */
export class FileRefusedError extends Error {
  constructor(readonly userLine: string) {
    super(userLine);
    this.name = "FileRefusedError";
  }
}

/** The refusal for a file over a size limit, e.g. `I can't take video.mp4: it is 30.0 MB and the limit is 20.0 MB. Nothing was sent.` */
export function tooLargeLine(filename: string, bytes: number | undefined, maxBytes: number | undefined): string {
  const size = bytes !== undefined ? `it is ${formatBytes(bytes)} and ` : "";
  const limit = maxBytes !== undefined ? `the limit is ${formatBytes(maxBytes)}` : "it is over the size limit";
  return `I can't take ${filename}: ${size}${limit}. Nothing was sent to the agent.`;
}

/**
 * The refusal line for a daemon error about a message's files (`payload_too_large` from `POST /api/upload` or
 * `chat.send`), built from the error's `details` (`maxBytes`, `maxMessageBytes`, `maxFiles`), never its message.
 */
export function filesRefusedLine(err: Pick<WireError, "code" | "details">, filename?: string): string | undefined {
  if (err.code !== "payload_too_large") return undefined;
  const d = err.details ?? {};
  if (typeof d.maxFiles === "number") return `That's too many files for one message: the limit is ${d.maxFiles}. Nothing was sent to the agent.`;
  if (typeof d.maxMessageBytes === "number") return `Those files are too large together: the limit is ${formatBytes(d.maxMessageBytes)} per message. Nothing was sent to the agent.`;
  if (typeof d.maxBytes === "number") return tooLargeLine(filename ?? "that file", undefined, d.maxBytes);
  return undefined;
}
