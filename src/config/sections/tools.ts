import { z } from "zod";
import { parsedDefault } from "./defaults.js";
import { ApprovalConfig } from "./approvals.js";

/** Default of `tools.web_fetch.timeoutMs`: the whole fetch (every redirect, the body) in milliseconds. */
export const DEFAULT_WEB_FETCH_TIMEOUT_MS = 15_000;
/** Default of `tools.web_fetch.maxBytes`: the most bytes of a (decompressed) response body read; past it the fetch fails. */
export const DEFAULT_WEB_FETCH_MAX_BYTES = 5 * 1024 * 1024;
/** Default of `tools.web_fetch.maxRedirects`: redirects followed (each re-checked against the address policy). */
export const DEFAULT_WEB_FETCH_MAX_REDIRECTS = 5;
/** Default of `tools.web_search.timeoutMs`. */
export const DEFAULT_WEB_SEARCH_TIMEOUT_MS = 10_000;
/** Default of `tools.web_search.maxResults`. */
export const DEFAULT_WEB_SEARCH_MAX_RESULTS = 5;
/** Default of `tools.exec.timeoutMs`: a command is killed (its whole process group) after this many milliseconds. */
export const DEFAULT_EXEC_TIMEOUT_MS = 30_000;
/** Default of `tools.exec.maxOutputBytes`: stdout and stderr together; the rest is dropped with a marker. */
export const DEFAULT_EXEC_MAX_OUTPUT_BYTES = 64 * 1024;
/** Default of `tools.file_read.maxBytes` / `tools.file_write.maxBytes`: the largest file read or written. */
export const DEFAULT_FILE_MAX_BYTES = 1024 * 1024;

/** `tools.web_fetch`: on by default; private, loopback and link-local addresses refused unless `allowPrivateNetwork`. */
export const WebFetchConfig = z.strictObject({
  enabled: z.boolean().default(true),
  allowPrivateNetwork: z.boolean().default(false),
  timeoutMs: z.number().int().min(1000).max(300_000).default(DEFAULT_WEB_FETCH_TIMEOUT_MS),
  maxBytes: z.number().int().min(1024).max(100 * 1024 * 1024).default(DEFAULT_WEB_FETCH_MAX_BYTES),
  maxRedirects: z.number().int().min(0).max(20).default(DEFAULT_WEB_FETCH_MAX_REDIRECTS),
});
/** See {@link WebFetchConfig}. */
export type WebFetchConfig = z.infer<typeof WebFetchConfig>;

/** The search providers `web_search` has an adapter for (`generic`: any GET endpoint answering title/url/snippet). */
export const SEARCH_PROVIDERS = ["searxng", "brave", "tavily", "generic"] as const;

/**
 * `tools.web_search`: off until `enabled: true` and a `provider`. `url` is the SearXNG instance or the generic
 * endpoint (Brave and Tavily have fixed ones, overridable); `apiKey` for Brave and Tavily (use `${ENV}`).
 */
export const WebSearchConfig = z.strictObject({
  enabled: z.boolean().default(false),
  provider: z.enum(SEARCH_PROVIDERS).optional(),
  url: z.url({ protocol: /^https?$/ }).optional(),
  apiKey: z.string().optional(),
  maxResults: z.number().int().min(1).max(20).default(DEFAULT_WEB_SEARCH_MAX_RESULTS),
  timeoutMs: z.number().int().min(1000).max(120_000).default(DEFAULT_WEB_SEARCH_TIMEOUT_MS),
}).superRefine((c, ctx) => {
  if (!c.enabled) return;
  if (!c.provider) ctx.addIssue({ code: "custom", path: ["provider"], message: `web_search is enabled but has no provider (one of ${SEARCH_PROVIDERS.join(", ")})` });
  if ((c.provider === "searxng" || c.provider === "generic") && !c.url) ctx.addIssue({ code: "custom", path: ["url"], message: `the ${c.provider} provider needs a url` });
  if ((c.provider === "brave" || c.provider === "tavily") && !c.apiKey) ctx.addIssue({ code: "custom", path: ["apiKey"], message: `the ${c.provider} provider needs an apiKey` });
});
/** See {@link WebSearchConfig}. */
export type WebSearchConfig = z.infer<typeof WebSearchConfig>;

/** How `exec` isolates a command: `bwrap` (bubblewrap) or `none` (on the host, as the daemon's user). */
export const SANDBOX_MODES = ["bwrap", "none"] as const;
/** See {@link SANDBOX_MODES}. */
export type SandboxMode = (typeof SANDBOX_MODES)[number];

/**
 * `tools.exec`: off by default. `sandbox: bwrap` (the default) needs `bwrap` on PATH, else the tool is absent;
 * `sandbox: none` runs on the host and must be chosen explicitly. `network` lets sandboxed commands reach the
 * network; `env` adds variables to the scrubbed environment.
 */
export const ExecConfig = z.strictObject({
  enabled: z.boolean().default(false),
  sandbox: z.enum(SANDBOX_MODES).default("bwrap"),
  network: z.boolean().default(false),
  timeoutMs: z.number().int().min(100).max(3_600_000).default(DEFAULT_EXEC_TIMEOUT_MS),
  maxOutputBytes: z.number().int().min(1024).max(10 * 1024 * 1024).default(DEFAULT_EXEC_MAX_OUTPUT_BYTES),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}),
});
/** See {@link ExecConfig}. */
export type ExecConfig = z.infer<typeof ExecConfig>;

/** `tools.file_read|file_write|file_edit`: off by default; `maxBytes` bounds a file read or written. */
export const FileToolConfig = z.strictObject({
  enabled: z.boolean().default(false),
  maxBytes: z.number().int().min(1024).max(100 * 1024 * 1024).default(DEFAULT_FILE_MAX_BYTES),
});
/** See {@link FileToolConfig}. */
export type FileToolConfig = z.infer<typeof FileToolConfig>;

/** `tools.file_list`: off by default. */
export const FileListConfig = z.strictObject({ enabled: z.boolean().default(false) });

/**
 * The `tools` block: the allow/deny policy over every tool name (src/agent/tools/policy.ts), then one block per
 * built-in tool of issue 13 (`web_fetch` on by default; the others off), and `approval`: which calls of any tool
 * (built-in or MCP) run, wait for the owner's answer, or are refused.
 */
export const ToolsConfig = z.strictObject({
  allow: z.array(z.string()).optional(),
  deny: z.array(z.string()).default([]),
  web_fetch: WebFetchConfig.default(parsedDefault(WebFetchConfig, {})),
  web_search: WebSearchConfig.default(parsedDefault(WebSearchConfig, {})),
  exec: ExecConfig.default(parsedDefault(ExecConfig, {})),
  file_read: FileToolConfig.default(parsedDefault(FileToolConfig, {})),
  file_write: FileToolConfig.default(parsedDefault(FileToolConfig, {})),
  file_edit: FileToolConfig.default(parsedDefault(FileToolConfig, {})),
  file_list: FileListConfig.default(parsedDefault(FileListConfig, {})),
  /** Which calls wait for the owner's approval (issue 13): see {@link ApprovalConfig}. */
  approval: ApprovalConfig.default(parsedDefault(ApprovalConfig, {})),
});
/** See {@link ToolsConfig}. */
export type ToolsConfig = z.infer<typeof ToolsConfig>;
