import { z } from "zod";

/** Default of `tools.approval.timeoutMs`: an unanswered approval request is denied (expired) after 10 minutes. */
export const DEFAULT_APPROVAL_TIMEOUT_MS = 10 * 60_000;

/** What happens to a tool call: it runs (`allow`), waits for the owner's answer (`ask`), or is refused (`deny`). */
export const ToolAction = z.enum(["allow", "ask", "deny"]);
/** See {@link ToolAction}. */
export type ToolAction = z.infer<typeof ToolAction>;

/** A list of glob patterns over a call's subject (e.g. the `exec` command line). */
const Patterns = z.array(z.string().min(1).max(500)).max(500).default([]);

/**
 * The rule of one tool (or tool-name glob): an action, or an action per subject pattern. The subject of a call
 * is its `command` argument (exec), else `path` (file tools), else `url`, else its arguments as JSON. Patterns
 * are globs (picomatch, bash rules: `*` also matches `/`); `deny` is checked first, then `allow`, then `ask`,
 * then `default` (default `ask`). An `allow` pattern never matches a command line holding shell control
 * characters (`;`, `&`, `|`, `` ` ``, `$`, `<`, `>`, a newline): `ls *` must not let `ls; rm -rf ~` through.
 */
export const ToolRule = z.union([
  ToolAction,
  z.strictObject({ default: ToolAction.default("ask"), allow: Patterns, ask: Patterns, deny: Patterns }),
]);
/** See {@link ToolRule}. */
export type ToolRule = z.infer<typeof ToolRule>;

/**
 * Rules that apply unless `tools.approval.rules` names the tool: the tools that change things outside the
 * conversation wait for the owner (issue 13: `exec` and `file_write`; `file_edit` writes files too).
 */
export const DEFAULT_TOOL_RULES: Readonly<Record<string, ToolRule>> = { exec: "ask", file_write: "ask", file_edit: "ask" };

/**
 * `tools.approval` (issue 13, approvals):
 * - `rules`: tool name (or a glob over names: `github__*` for every tool of the MCP server `github`) → {@link ToolRule}.
 *   An exact name wins over a glob; globs are tried in the order written. A tool no rule names is allowed, except
 *   those of {@link DEFAULT_TOOL_RULES}.
 * - `timeoutMs`: how long a request waits for an answer before it expires (= denied); default 10 minutes.
 */
export const ApprovalConfig = z.strictObject({
  rules: z.record(z.string().min(1).max(200), ToolRule).default({}),
  timeoutMs: z.number().int().min(1_000).max(7 * 24 * 3_600_000).default(DEFAULT_APPROVAL_TIMEOUT_MS),
});
/** See {@link ApprovalConfig}. */
export type ApprovalConfig = z.infer<typeof ApprovalConfig>;

/**
 * One chat of the owner (`owner.chats`): approval prompts and pairing requests also go there, with buttons, and
 * `userId` (the owner's id on that platform) may answer every one of them from a chat.
 */
export const OwnerChat = z.strictObject({
  platform: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/),
  chatId: z.union([z.string().min(1).max(128), z.number().int()]).transform(String),
  userId: z.union([z.string().min(1).max(128), z.number().int()]).transform(String),
});
/** See {@link OwnerChat}. */
export type OwnerChat = z.infer<typeof OwnerChat>;

/** `owner`: where the owner answers from a chat (issue 13: "the owner's chat"). */
export const OwnerConfig = z.strictObject({ chats: z.array(OwnerChat).max(20).default([]) });
