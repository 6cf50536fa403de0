/**
 * Default of `agent.maxReplyChars`: the most characters (UTF-16 code units, as JavaScript counts them) one run's
 * model output may have: the text of every step plus streamed tool-call arguments. Past it the run stops reading
 * the stream, aborts the request and ends with status `max_length`, keeping the text so far (issue 17, item 6:
 * a model streaming 300 MB took the daemon's RSS to 2.2 GB). 200,000 characters are ~50k tokens, beyond what
 * chat models produce in one answer.
 */
export const DEFAULT_MAX_REPLY_CHARS = 200_000;

/**
 * The first `maxChars` UTF-16 code units of `text`, one fewer when the cut would split a surrogate pair (so the
 * result is well-formed UTF-16 and encodes to valid UTF-8). `maxChars` ≤ 0 gives `""`.
 */
export function cutChars(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  if (maxChars <= 0) return "";
  const last = text.charCodeAt(maxChars - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? maxChars - 1 : maxChars);
}
