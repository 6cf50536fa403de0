import type { ChannelAddress } from "../../protocol/chat.js";
import { accessOf, type ChannelsConfig, type PlatformAccess } from "../config/sections/channels.js";

/**
 * What the daemon does with a message (issue 6, access):
 * - `allowed`: the message goes on (to a chat command or the model).
 * - `denied`: the sender is not allowed; `refusal` is the polite line to send, present at most once per sender
 *   per `refusalIntervalMs`, absent otherwise (then nothing is sent).
 * - `pairing`: an unknown sender on a channel with `policy: pairing` (issue 13): they get a one-time code, the
 *   message does not reach the model.
 * - `ignored`: a group message the agent does not answer (not mentioned with `groups: mention`, or `groups: off`).
 *   `denied` tells whether the sender would also have been denied (their message must not reach the model later).
 */
export type AccessDecision =
  | { kind: "allowed" }
  | { kind: "denied"; refusal?: string }
  | { kind: "pairing" }
  | { kind: "ignored"; reason: "not_mentioned" | "groups_off"; denied: boolean };

/** Only the digits of a text (`+49 (151) 234-56` → `4915123456`). */
const digitsOf = (s: string) => s.replace(/\D/g, "");

/** A phone-number-like allowlist entry: digits with optional `+`, spaces, dashes, dots and parentheses. */
const PHONE_LIKE = /^\+?[\d\s().-]{5,}$/;

/** The local part of a platform id (`4915123456@s.whatsapp.net` or `4915123456:3@s.whatsapp.net` → `4915123456`). */
const localPart = (id: string) => id.split("@")[0]!.split(":")[0]!;

/**
 * True when the sender or chat of `ch` matches one allowlist entry: the user id or chat id exactly; the username
 * with or without `@`, ignoring case; or, for a phone-number-like entry (`+49 151 2345678`), the same digits as the
 * local part of the user id or chat id (WhatsApp ids are `<digits>@s.whatsapp.net`).
 */
export function matchesAllowlist(entries: readonly string[], ch: Pick<ChannelAddress, "userId" | "userName" | "chatId">): boolean {
  const name = ch.userName?.replace(/^@/, "").toLowerCase();
  const ids = [ch.userId, ch.chatId];
  const idDigits = ids.map((id) => localPart(id)).filter((id) => /^\+?\d+$/.test(id)).map(digitsOf);
  for (const raw of entries) {
    const entry = raw.trim();
    if (!entry) continue;
    if (ids.includes(entry)) return true;
    if (name && entry.replace(/^@/, "").toLowerCase() === name) return true;
    if (PHONE_LIKE.test(entry) && idDigits.includes(digitsOf(entry))) return true;
  }
  return false;
}

/** True when the sender of `ch` may talk to the agent under `access` (policy `open`, or a match in the allowlist). */
export function isAllowed(access: PlatformAccess, ch: ChannelAddress): boolean {
  return access.policy === "open" || matchesAllowlist(access.allowlist, ch);
}

/** The default refusal: polite, and names the id the owner would add to the allowlist. */
export function defaultRefusal(ch: ChannelAddress): string {
  const who = ch.userName ? `@${ch.userName.replace(/^@/, "")}, id ${ch.userId}` : `id ${ch.userId}`;
  return `Sorry, I only talk with people my owner has allowed. If you know them, ask them to add you (${who}) to my ${ch.platform} allowlist.`;
}

/** Options of {@link AccessGate}. */
export interface AccessGateOptions {
  /** The `channels` config, read on every decision (live edits apply to the next message). */
  channels: () => ChannelsConfig;
  /** Least time between two refusals to the same sender, in ms. Default 600 000 (10 minutes). */
  refusalIntervalMs?: number;
  /** Most senders remembered for the refusal rate limit (the oldest are forgotten first). Default 10 000. */
  maxTracked?: number;
  /** Clock in ms (tests). Default `Date.now`. */
  now?: () => number;
  /** Whether a sender was approved through pairing (SQLite, issue 13); default: nobody. */
  isPaired?: (ch: ChannelAddress) => boolean;
}

/**
 * Decides, per channel message, whether the agent answers (issue 6): group policy first (an unmentioned group
 * message is ignored silently, whoever sent it), then the platform's access policy. A denied sender gets one
 * refusal per `refusalIntervalMs`; the rate limit lives in memory, in a map bounded by `maxTracked`.
 * Messages without a channel (clients holding the daemon's token) are always allowed.
 */
export class AccessGate {
  private readonly refusedAt = new Map<string, number>();
  private readonly intervalMs: number;
  private readonly maxTracked: number;
  private readonly now: () => number;

  constructor(private readonly opts: AccessGateOptions) {
    this.intervalMs = opts.refusalIntervalMs ?? 600_000;
    this.maxTracked = opts.maxTracked ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /** Number of senders currently remembered by the refusal rate limit. */
  get trackedCount(): number {
    return this.refusedAt.size;
  }

  /** The decision for one message; see {@link AccessDecision}. */
  decide(ch: ChannelAddress | undefined): AccessDecision {
    if (!ch) return { kind: "allowed" };
    const access = accessOf(this.opts.channels(), ch.platform);
    const allowed = isAllowed(access, ch) || (access.policy === "pairing" && (this.opts.isPaired?.(ch) ?? false));
    if (ch.isGroup && access.groups === "off") return { kind: "ignored", reason: "groups_off", denied: !allowed };
    if (ch.isGroup && access.groups === "mention" && !ch.mentioned) return { kind: "ignored", reason: "not_mentioned", denied: !allowed };
    if (allowed) return { kind: "allowed" };
    if (access.policy === "pairing") return { kind: "pairing" };
    if (!this.refusalDue(`${ch.platform}\u0000${ch.userId}`)) return { kind: "denied" };
    return { kind: "denied", refusal: access.refusalText ?? defaultRefusal(ch) };
  }

  /** Records a refusal for `key` and returns true when none was sent within the interval. */
  private refusalDue(key: string): boolean {
    const now = this.now();
    const last = this.refusedAt.get(key);
    if (last !== undefined && now - last < this.intervalMs) return false;
    this.refusedAt.delete(key); // re-insert at the end: the map stays ordered by last refusal
    this.refusedAt.set(key, now);
    for (const [k, at] of this.refusedAt) {
      if (this.refusedAt.size <= this.maxTracked && now - at < this.intervalMs) break;
      this.refusedAt.delete(k);
    }
    return true;
  }
}
