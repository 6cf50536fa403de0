import { z } from "zod";

/**
 * Access and behaviour of one chat platform (issue 6). `policy`: `allowlist` (default; only listed users get
 * answers) or `open`. `allowlist` holds user ids, usernames (with or without @) or phone numbers.
 * `groups`: `mention` (default: answer in groups only when mentioned or replied to) or `all`.
 */
export const PlatformAccess = z.strictObject({
  enabled: z.boolean().default(false),
  policy: z.enum(["allowlist", "open"]).default("allowlist"),
  allowlist: z.array(z.string().min(1)).default([]),
  groups: z.enum(["mention", "all"]).default("mention"),
  /** Lets chat users switch the model of their chat with `/model NAME`. */
  allowModelSwitch: z.boolean().default(false),
});
/** See {@link PlatformAccess}. */
export type PlatformAccess = z.infer<typeof PlatformAccess>;

/** The `channels` section: per-platform access; bridge processes read their own settings (tokens) from here too. */
export const ChannelsConfig = z.strictObject({
  telegram: PlatformAccess.extend({ botToken: z.string().optional(), apiRoot: z.string().optional() }).optional(),
  discord: PlatformAccess.extend({ botToken: z.string().optional(), apiBase: z.string().optional() }).optional(),
  whatsapp: PlatformAccess.extend({ maxMessageChars: z.number().int().min(100).max(65_536).default(4000) }).optional(),
});
/** See {@link ChannelsConfig}. */
export type ChannelsConfig = z.infer<typeof ChannelsConfig>;
