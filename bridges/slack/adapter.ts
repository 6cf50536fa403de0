/**
 * How the Slack bridge talks back: each delivery the daemon's outbox offers (replies, command answers, refusals,
 * scheduled messages) as mrkdwn split at 4,000 characters, each chunk one `chat.postMessage` into the
 * conversation's thread (`thread_ts`; top level in a DM written outside a thread), link previews off. Slack has no typing indicator for bots: a reaction (`:eyes:`) on the user's message while the
 * run works stands in for it. Rate limits (HTTP 429, `Retry-After`) are waited out by `@slack/web-api` itself.
 */
import type { WebClient } from "@slack/web-api";
import type { PlatformAdapter } from "../common/bridge-runtime.js";
import { formatSlackChunks } from "../common/format-slack.js";
import { TYPING_INTERVAL_MS } from "../common/typing-loop.js";
import type { SlackIncoming } from "./inbound.js";

/** The reaction shown on a user's message while the agent works on it (needs the `reactions:write` scope). */
export const WORKING_REACTION = "eyes";

/** Largest file a bot uploads, in bytes: 1 GB (https://docs.slack.dev/messaging/working-with-files). */
export const SLACK_MAX_UPLOAD_BYTES = 1024 * 1024 * 1024;

/** Slack errors after which a chat will never take the message (https://docs.slack.dev/reference/methods/chat.postMessage#errors). */
const PERMANENT_ERRORS = new Set([
  "channel_not_found", "not_in_channel", "is_archived", "msg_too_long", "no_text", "restricted_action",
  "restricted_action_read_only_channel", "restricted_action_thread_only_channel", "restricted_action_non_threadable_channel",
  "cannot_reply_to_message", "team_access_not_granted", "ekm_access_denied", "invalid_auth", "account_inactive",
  "token_revoked", "not_authed", "missing_scope",
]);

/** Whether Slack refused a message for good (`ok: false` with one of the errors above), not for a while (rate limit, network). */
export function isPermanentSlackError(err: unknown): boolean {
  const code = (err as { data?: { error?: unknown } } | null)?.data?.error;
  return typeof code === "string" && PERMANENT_ERRORS.has(code);
}

/**
 * Posts `chunks` in order to `channel` (into the thread `threadTs` when given) with `chat.postMessage`
 * (https://docs.slack.dev/reference/methods/chat.postMessage), calls `onSent(ts)` right after each one, and returns
 * the ts (message id) of each. Throws the SDK's error (e.g. `not_in_channel`) on the first chunk Slack refuses; the
 * chunks before it were reported.
 */
export async function postChunks(web: WebClient, channel: string, threadTs: string | undefined, chunks: readonly string[], onSent: (ts: string) => void = () => {}): Promise<string[]> {
  const ids: string[] = [];
  for (const text of chunks) {
    const res = await web.chat.postMessage({ channel, text, ...(threadTs ? { thread_ts: threadTs } : {}), unfurl_links: false, unfurl_media: false });
    const ts = String(res.ts ?? "");
    ids.push(ts);
    onSent(ts);
  }
  return ids;
}

/**
 * The Slack {@link PlatformAdapter}: a delivery goes to `address.chatId`, into the thread `address.threadId` when
 * set. Slack has no reply-to outside threads, so `replyTo` is not used: to answer in a message's thread, address
 * the thread (`threadId`: the ts of its first message), as the bridge does for every channel conversation. `onPosted(channel, threadTs)` is told of
 * each thread the bot wrote in (so later messages there count as addressed to it).
 */
export function slackAdapter(web: WebClient, opts: { onPosted?: (channel: string, threadTs: string) => void } = {}): PlatformAdapter<SlackIncoming> {
  const reacted = new Set<string>();
  return {
    platform: "slack",
    typingIntervalMs: TYPING_INTERVAL_MS.slack,
    format: (markdown) => formatSlackChunks(markdown),
    async sendDelivery(address, chunks, onSent) {
      const ids = await postChunks(web, address.chatId, address.threadId, chunks, onSent);
      if (address.threadId) opts.onPosted?.(address.chatId, address.threadId);
      return ids;
    },
    maxAttachmentBytes: () => SLACK_MAX_UPLOAD_BYTES,
    async sendAttachment(address, a, bytes) {
      // files.getUploadURLExternal + upload + files.completeUploadExternal, done by the SDK's filesUploadV2
      const file = { file: Buffer.from(bytes), filename: a.name, title: a.name };
      const res = (await (address.threadId
        ? web.filesUploadV2({ ...file, channel_id: address.chatId, thread_ts: address.threadId })
        : web.filesUploadV2({ ...file, channel_id: address.chatId }))) as { files?: Array<{ files?: Array<{ id?: string }> }> };
      return res.files?.[0]?.files?.[0]?.id ?? "";
    },
    isPermanent: isPermanentSlackError,
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
