import { z } from "zod";
import { parsedDefault } from "./defaults.js";

/** Default of `channels.<platform>.pairingCodeTtlMs`: a pairing code is valid for one hour. */
export const DEFAULT_PAIRING_CODE_TTL_MS = 60 * 60_000;

/** One allowlist entry; a bare YAML number is accepted when it is exact (long ids must be quoted). */
const AllowlistEntry = z
  .union([z.string().trim().min(1).max(128), z.number()])
  .refine((v) => typeof v === "string" || Number.isSafeInteger(v), 'an id this long must be quoted, e.g. "123456789012345678" (YAML reads it as an imprecise number)')
  .transform(String);

/**
 * Access and behaviour of one chat platform (issue 6), the keys every platform shares:
 * - `enabled` (default false): `agentd start` runs this platform's bridge as a supervised child process. A bridge
 *   started by hand (`agentd bridge <platform> DIR`, or on another machine) is served whatever this says.
 * - `policy`: `allowlist` (default: only senders matching `allowlist` are answered), `open` (everyone), or
 *   `pairing` (issue 13: the allowlist and the senders the owner approved with `agentd pairing approve CODE`; an
 *   unknown sender gets a one-time code and nothing reaches the model).
 * - `pairingCodeTtlMs`: how long a pairing code stays valid (default one hour).
 * - `allowlist`: user ids, usernames (with or without `@`, case-insensitive), phone numbers (only digits compared)
 *   or chat ids (everyone in that chat). An empty allowlist with policy `allowlist` answers nobody.
 * - `groups`: `mention` (default: in groups, answer only when mentioned or replied to), `all`, or `off` (never).
 * - `allowModelSwitch` (default false): chat users may switch their chat's model with `/model NAME`.
 * - `refusalText`: the polite refusal a denied sender gets (at most once per 10 minutes); a default names their id.
 * - `voiceReplies` (issue 12): `off` (default), `when-voice` (answer a voice note with a voice note) or `always`;
 *   spoken with `uploads.speechModel`.
 * Documented key by key in agent-template/agentd.yaml (`channels:`).
 */
export const PlatformAccess = z.strictObject({
  enabled: z.boolean().default(false),
  policy: z.enum(["allowlist", "open", "pairing"]).default("allowlist"),
  pairingCodeTtlMs: z.number().int().min(60_000).max(30 * 24 * 3_600_000).default(DEFAULT_PAIRING_CODE_TTL_MS),
  allowlist: z.array(AllowlistEntry).default([]),
  groups: z.enum(["mention", "all", "off"]).default("mention"),
  allowModelSwitch: z.boolean().default(false),
  refusalText: z.string().min(1).max(1000).optional(),
  voiceReplies: z.enum(["off", "when-voice", "always"]).default("off"),
});
/** See {@link PlatformAccess}. */
export type PlatformAccess = z.infer<typeof PlatformAccess>;

/** Keys of {@link PlatformAccess}: what the daemon uses; the other keys of a platform belong to its bridge. */
export const ACCESS_KEYS: ReadonlySet<string> = new Set(Object.keys(PlatformAccess.shape));

/**
 * `liveReplies` (Telegram, Discord; issue 12): a long reply shows as one message edited in place as it streams,
 * then becomes the formatted reply (default true); false: only the typing indicator until the reply is sent.
 */
const LiveReplies = z.boolean().default(true);

/**
 * Telegram: the bot token from @BotFather (put it in .env), the Bot API root (tests, a local Bot API server) and
 * `liveReplies`.
 */
export const TelegramChannel = PlatformAccess.extend({
  botToken: z.string().optional(),
  apiRoot: z.url({ protocol: /^https?$/ }).optional(),
  liveReplies: LiveReplies,
});

/** Discord: the bot token (Developer Portal), the REST API base URL (tests) and `liveReplies`. */
export const DiscordChannel = PlatformAccess.extend({
  botToken: z.string().optional(),
  apiBase: z.url({ protocol: /^https?$/ }).optional(),
  liveReplies: LiveReplies,
});

/** WhatsApp (linked device via Baileys): longest message sent before splitting, in characters (default 4000). */
export const WhatsappChannel = PlatformAccess.extend({
  maxMessageChars: z.number().int().min(100).max(65_536).default(4000),
});

/**
 * Slack (Socket Mode): the bot token (`xoxb-`, OAuth & Permissions) and the app-level token (`xapp-`, Basic
 * Information → App-Level Tokens, scope `connections:write`), both best kept in .env; `apiUrl`, the Web API root
 * (tests; default https://slack.com/api/), whose `apps.connections.open` also hands out the Socket Mode URL; and
 * `teamIds`, the workspaces (team ids `T…`) whose members may talk to the agent: messages from anyone else (e.g. a
 * Slack Connect channel shared with another company) are dropped by the bridge. Empty (default): any workspace the
 * app is installed in.
 */
export const SlackChannel = PlatformAccess.extend({
  botToken: z.string().optional(),
  appToken: z.string().optional(),
  apiUrl: z.url({ protocol: /^https?$/ }).optional(),
  teamIds: z.array(z.string().trim().regex(/^[TE][A-Z0-9]{2,31}$/, "a Slack team id looks like T0123ABCD")).default([]),
});

/**
 * The `channels` section of agentd.yaml: one optional block per platform. The daemon reads the access keys
 * ({@link PlatformAccess}); the CLI hands the whole block of a platform to its bridge (`agentd bridge`), so bot
 * tokens and API roots live here too (as `${ENV}` references to .env). A platform without a block gets the
 * defaults: not started, allowlist policy with an empty allowlist (nobody is answered).
 */
export const ChannelsConfig = z.strictObject({
  telegram: TelegramChannel.optional(),
  discord: DiscordChannel.optional(),
  whatsapp: WhatsappChannel.optional(),
  slack: SlackChannel.optional(),
});
/** See {@link ChannelsConfig}. */
export type ChannelsConfig = z.infer<typeof ChannelsConfig>;

/** The platforms that have a bridge in this package, in start order. */
export const PLATFORMS = ["telegram", "discord", "whatsapp", "slack"] as const;
/** One of {@link PLATFORMS}. */
export type Platform = (typeof PLATFORMS)[number];

/** True when `name` is one of {@link PLATFORMS}. */
export function isPlatform(name: string): name is Platform {
  return (PLATFORMS as readonly string[]).includes(name);
}

const DEFAULT_ACCESS = parsedDefault(PlatformAccess, {});

export { TERMINAL_PLATFORM } from "../../../protocol/chat.js";
import { TERMINAL_PLATFORM } from "../../../protocol/chat.js";

const TERMINAL_ACCESS = parsedDefault(PlatformAccess, { policy: "open", groups: "all", allowModelSwitch: true });

/**
 * The access settings of a platform: its block, the defaults when it has none or is not one of {@link PLATFORMS},
 * and always open (with `/model NAME`) for the {@link TERMINAL_PLATFORM}.
 */
export function accessOf(channels: ChannelsConfig, platform: string): PlatformAccess {
  if (platform === TERMINAL_PLATFORM) return TERMINAL_ACCESS;
  return (isPlatform(platform) ? channels[platform] : undefined) ?? DEFAULT_ACCESS;
}
