/**
 * How the Slack bridge talks back: the agent's markdown as mrkdwn split at 4,000 characters, each chunk one
 * `chat.postMessage` into the conversation's thread (`thread_ts`; top level in a DM written outside a thread),
 * link previews off. Slack has no typing indicator for bots: a reaction (`:eyes:`) on the user's message while the
 * run works stands in for it. Rate limits (HTTP 429, `Retry-After`) are waited out by `@slack/web-api` itself.
 */
import type { WebClient } from "@slack/web-api";
import type { PlatformAdapter } from "../common/bridge-runtime.js";
import { formatSlackChunks } from "../common/format-slack.js";
import { TYPING_INTERVAL_MS } from "../common/typing-loop.js";
import type { SlackIncoming } from "./inbound.js";

/** The reaction shown on a user's message while the agent works on it (needs the `reactions:write` scope). */
export const WORKING_REACTION = "eyes";

/**
 * Posts `chunks` in order to `channel` (into the thread `threadTs` when given) with `chat.postMessage`
 * (https://docs.slack.dev/reference/methods/chat.postMessage) and returns the ts (message id) of each. Throws the
 * SDK's error (e.g. `not_in_channel`) on the first chunk Slack refuses; the chunks before it stay posted.
 */
export async function postChunks(web: WebClient, channel: string, threadTs: string | undefined, chunks: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const text of chunks) {
    const res = await web.chat.postMessage({ channel, text, ...(threadTs ? { thread_ts: threadTs } : {}), unfurl_links: false, unfurl_media: false });
    ids.push(String(res.ts ?? ""));
  }
  return ids;
}

/**
 * The Slack {@link PlatformAdapter}. `onPosted(channel, threadTs)` is told of each thread the bot wrote in (so
 * later messages there count as addressed to it); `isStopping()` true makes sending a no-op.
 */
export function slackAdapter(web: WebClient, opts: { onPosted?: (channel: string, threadTs: string) => void; isStopping?: () => boolean } = {}): PlatformAdapter<SlackIncoming> {
  const reacted = new Set<string>();
  return {
    platform: "slack",
    typingIntervalMs: TYPING_INTERVAL_MS.slack,
    format: (markdown) => formatSlackChunks(markdown),
    async sendReply(msg, chunks) {
      if (opts.isStopping?.()) return;
      const { chatId, threadId } = msg.channel;
      await postChunks(web, chatId, threadId, chunks);
      if (threadId) opts.onPosted?.(chatId, threadId);
    },
    async sendTyping(msg) {
      const key = `${msg.channel.chatId}:${msg.ts}`;
      if (reacted.has(key)) return; // a reaction stays until removed: once is enough
      reacted.add(key);
      await web.reactions.add({ channel: msg.channel.chatId, timestamp: msg.ts, name: WORKING_REACTION });
    },
    async stopTyping(msg) {
      const key = `${msg.channel.chatId}:${msg.ts}`;
      if (!reacted.delete(key)) return;
      await web.reactions.remove({ channel: msg.channel.chatId, timestamp: msg.ts, name: WORKING_REACTION });
    },
  };
}
