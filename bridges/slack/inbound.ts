/**
 * A Slack Events API event (`message`, `app_mention`; https://docs.slack.dev/reference/events/message) as the
 * message every bridge shares: channel address (a thread is its own conversation: the channel is the chat, the
 * thread's parent ts the thread), the text as the user typed it, and the files to fetch. Pure functions, no network.
 */
import type { IncomingMessage } from "../common/bridge-runtime.js";

/** A file shared in a Slack message (the fields of Slack's file object the bridge reads). */
export interface SlackFile {
  id: string;
  name?: string;
  mimetype?: string;
  size?: number;
  /** Downloadable with `Authorization: Bearer <bot token>` (scope `files:read`). */
  url_private_download?: string;
  url_private?: string;
  /** `tombstone` (deleted) and `hidden_by_limit` files have no content. */
  mode?: string;
}

/** The fields of a `message` or `app_mention` event the bridge reads. Timestamps (`ts`) are Slack's message ids. */
export interface SlackMessageEvent {
  type: string;
  subtype?: string;
  channel: string;
  /** `im` (DM), `mpim` (group DM), `channel`, `group` (private channel); absent on `app_mention`. */
  channel_type?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  ts: string;
  thread_ts?: string;
  /** The workspace of the message and of its author (they differ in Slack Connect channels). */
  team?: string;
  user_team?: string;
  files?: SlackFile[];
}

/** A Slack message in the shared shape; `ts` is the Slack message id (the typing reaction goes on it). */
export interface SlackIncoming extends IncomingMessage {
  ts: string;
}

/** A file of a Slack message to download (`url` needs the bot token). */
export interface SlackFileRef {
  url: string;
  filename: string;
  mime: string;
  bytes?: number;
}

/** Message subtypes that are a person writing (https://docs.slack.dev/reference/events/message#subtypes). */
const USER_SUBTYPES = new Set([undefined, "file_share", "thread_broadcast"]);

/** True for an event a bridge may answer: a person's message (not the bot's own, not an edit, join or deletion). */
export function isFromPerson(ev: SlackMessageEvent, botUserId: string): boolean {
  return USER_SUBTYPES.has(ev.subtype) && !ev.bot_id && !!ev.user && ev.user !== botUserId;
}

/** True when the event is in a DM with the bot (`channel_type: im`; DM channel ids start with `D`). */
export function isDirect(ev: SlackMessageEvent): boolean {
  return ev.channel_type === "im" || (ev.channel_type === undefined && ev.channel.startsWith("D"));
}

/** True when the text mentions the bot (`<@U…>`, Slack's encoding of an @mention). */
export function mentionsBot(text: string | undefined, botUserId: string): boolean {
  return !!text && text.includes(`<@${botUserId}>`);
}

/**
 * Slack's message text as the user saw it: the bot's own leading mention removed, other mentions as `@U…`,
 * channels as `#name`, `<!here>` as `@here`, links as `label (url)` or the url, and `&amp;`, `&lt;`, `&gt;` decoded
 * (https://docs.slack.dev/messaging/formatting-message-text#advanced).
 */
export function plainText(text: string, botUserId: string): string {
  return text
    .replace(new RegExp(`^\\s*<@${botUserId}>[\\s,:]*`), "")
    .replace(/<@([A-Z0-9]+)(?:\|[^>]*)?>/g, "@$1")
    .replace(/<#[A-Z0-9]+\|([^>]*)>/g, "#$1")
    .replace(/<!(here|channel|everyone)(?:\|[^>]*)?>/g, "@$1")
    .replace(/<!subteam\^[A-Z0-9]+\|?([^>]*)>/g, "$1")
    .replace(/<((?:https?|mailto):[^|>]+)\|([^>]+)>/g, "$2 ($1)")
    .replace(/<((?:https?|mailto):[^>]+)>/g, "$1")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .trim();
}

/** The files of a message that can be downloaded. */
export function fileRefsOf(ev: SlackMessageEvent): SlackFileRef[] {
  return (ev.files ?? [])
    .filter((f) => f.mode !== "tombstone" && f.mode !== "hidden_by_limit" && (f.url_private_download ?? f.url_private))
    .map((f) => ({
      url: (f.url_private_download ?? f.url_private)!,
      filename: f.name ?? `file-${f.id}`,
      mime: f.mimetype ?? "application/octet-stream",
      ...(f.size !== undefined ? { bytes: f.size } : {}),
    }));
}

/**
 * Converts an event the bridge decided to forward into the shared shape, or undefined when it has neither text
 * nor a file. Address: the channel as chat id; in a DM the thread only when the user wrote in one; in a channel
 * always a thread (the mention's own ts starts one), so each thread is its own conversation and replies go there.
 * `mentioned` says the bot was addressed (an @mention, or a message in a thread the bot is part of).
 */
export function toIncoming(ev: SlackMessageEvent, botUserId: string, mentioned: boolean): { msg: SlackIncoming; files: SlackFileRef[] } | undefined {
  const text = plainText(ev.text ?? "", botUserId);
  const files = fileRefsOf(ev);
  if (!text && files.length === 0) return undefined;
  const direct = isDirect(ev);
  const threadId = direct ? ev.thread_ts : (ev.thread_ts ?? ev.ts);
  const msg: SlackIncoming = {
    messageId: ev.ts,
    ts: ev.ts,
    text,
    channel: {
      platform: "slack",
      chatId: ev.channel,
      userId: ev.user!,
      ...(threadId ? { threadId } : {}),
      isGroup: !direct,
      mentioned: direct || mentioned,
    },
  };
  return { msg, files };
}
