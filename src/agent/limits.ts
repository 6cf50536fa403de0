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
