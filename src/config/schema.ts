import { readlinkSync } from "node:fs";
import { isIP } from "node:net";
import { z } from "zod";
import { parsedDefault } from "./sections/defaults.js";
import { McpConfig } from "./sections/mcp.js";
import { ChannelsConfig } from "./sections/channels.js";
import { HeartbeatConfig, SchedulesConfig } from "./sections/schedules.js";
import { HooksConfig } from "./sections/hooks.js";
import { parseCron } from "./sections/schedule-timing.js";
import { BackupConfig, LoggingConfig, UpdateConfig } from "./ops-config.js";
import { DeliveriesConfig } from "./sections/deliveries.js";
import { ToolsConfig } from "./sections/tools.js";
import { OwnerConfig } from "./sections/approvals.js";

/**
 * Default of `agent.maxReplyChars`: the most characters (UTF-16 code units, as JavaScript counts them) one run's
 * model output may have: the text of every step plus streamed tool-call arguments. Past it the run stops reading
 * the stream, aborts the request and ends with status `max_length`, keeping the text so far (issue 17, item 6:
 * a model streaming 300 MB took the daemon's RSS to 2.2 GB). 200,000 characters are ~50k tokens, beyond what
 * chat models produce in one answer.
 */
export const DEFAULT_MAX_REPLY_CHARS = 200_000;

export { ToolsConfig };

let canonicalZones: Set<string> | undefined;
// ECMA-402 requires "UTC" of every implementation; `supportedValuesOf` leaves it out
const canonical = () => (canonicalZones ??= new Set([...Intl.supportedValuesOf("timeZone"), "UTC"]));
const UTC_ALIAS = /^(Etc\/)?(UTC|UCT|Universal|Zulu)$/;

/**
 * True when the runtime knows the IANA time zone. Canonical names are looked up in
 * `Intl.supportedValuesOf("timeZone")`, which loads no locale data (building a `DateTimeFormat` maps ~6 MB of
 * ICU data into an idle daemon); aliases (`Asia/Calcutta`, `US/Pacific`) fall back to a `DateTimeFormat`, which
 * throws a RangeError for an unknown zone (ECMA-402).
 */
function isTimeZone(tz: string): boolean {
  if (canonical().has(tz)) return true;
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * The machine's IANA time zone, the default of `agent.timezone`: `TZ` or the `/etc/localtime` link when they
 * name a canonical zone (where ICU itself looks first; `Etc/UTC` and its aliases give `UTC`, as `Intl` does),
 * else what `Intl` resolves.
 */
export function systemTimeZone(): string {
  const fromTz = process.env.TZ?.replace(/^:/, "");
  if (fromTz && canonical().has(fromTz)) return fromTz;
  if (!fromTz) {
    try {
      const zone = /zoneinfo\/(.+)$/.exec(readlinkSync("/etc/localtime"))?.[1];
      if (zone && UTC_ALIAS.test(zone)) return "UTC";
      if (zone && canonical().has(zone)) return zone;
    } catch {
      /* no link (Windows, containers): ask Intl */
    }
  }
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

const name = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/, "letters, digits, '.', '_' or '-', at most 64");

/** One OpenAI-compatible provider: base URL, API key (from env), request timeout and SDK retries. */
export const ProviderConfig = z.strictObject({
  baseUrl: z.url({ protocol: /^https?$/ }),
  apiKey: z.string().optional(),
  timeoutMs: z.number().int().min(1000).max(600_000).default(120_000),
  maxRetries: z.number().int().min(0).max(10).default(2),
  headers: z.record(z.string(), z.string()).optional(),
});
/** See {@link ProviderConfig}. */
export type ProviderConfig = z.infer<typeof ProviderConfig>;

/** One named model: which provider, the provider's model id, its context window (tokens) and output cap. */
export const ModelConfig = z.strictObject({
  provider: name,
  model: z.string().min(1),
  contextTokens: z.number().int().min(1024).default(128_000),
  maxOutputTokens: z.number().int().min(1).optional(),
  temperature: z.number().min(0).max(2).optional(),
  /**
   * What the model accepts as input: `[text, image]` sends photos as image parts. Unset: guessed from the provider's
   * model id (gpt-4o*, gpt-4.1*, gpt-5*, o3/o4*, claude-*, gemini-*, *vision*, llava*, pixtral*, qwen*-vl* accept images).
   */
  input: z.array(z.enum(["text", "image"])).min(1).optional(),
  /** Most tokens the images and inlined documents of one request may take (default: a quarter of `contextTokens`). */
  mediaTokens: z.number().int().min(0).optional(),
});
/** See {@link ModelConfig}. */
export type ModelConfig = z.infer<typeof ModelConfig>;

const hostname = z.hostname();
/**
 * True for what `server.host` may be: an IPv4 or IPv6 address (a scoped one like `fe80::1%eth0` too) or a host
 * name (RFC 1123 labels, as zod's `hostname` checks). Whether this machine can listen on it is checked when the
 * API writes it (src/gateway/listen-check.ts).
 */
export function isHost(host: string): boolean {
  return isIP(host) !== 0 || hostname.safeParse(host).success;
}

/** The server block: preferred port (scans +1..+99 when busy), bind host, and size limits. */
export const ServerConfig = z.strictObject({
  port: z.number().int().min(1).max(65535).default(8765),
  host: z.string().refine(isHost, { error: (iss) => `${JSON.stringify(iss.input)} is not a host name or IP address (e.g. 127.0.0.1, ::1, localhost, 0.0.0.0)` }).default("127.0.0.1"),
  maxFrameBytes: z.number().int().min(1024).default(1_048_576),
  maxBodyBytes: z.number().int().min(1024).default(1_048_576),
  shutdownGraceMs: z.number().int().min(0).max(60_000).default(5_000),
  /** WebSocket frames per second per connection (token bucket refill rate); over it a frame gets `rate_limited`. */
  maxFramesPerSecond: z.number().int().min(1).default(200),
  /** Frames a connection may send at once (token bucket size); a client that keeps sending while limited is closed. */
  frameBurst: z.number().int().min(1).default(400),
});

/**
 * The agent loop's knobs: time zone, tool step limit, per-call tool timeout and output cap, session titles,
 * and context management: a session is compacted once its context passes `compactAtRatio` of the model's
 * budget (context window minus the output reserve); the last `recentTurns` turns stay verbatim and their
 * tool results full length (older tool results are shortened in the context).
 */
export const AgentConfig = z.strictObject({
  timezone: z.string().refine(isTimeZone, "not an IANA time zone (e.g. Europe/Berlin)").default(systemTimeZone),
  maxSteps: z.number().int().min(1).max(100).default(8),
  toolTimeoutMs: z.number().int().min(100).default(60_000),
  toolOutputMaxChars: z.number().int().min(256).default(16_000),
  titleSessions: z.boolean().default(true),
  compactAtRatio: z.number().min(0.1).max(1).default(0.8),
  recentTurns: z.number().int().min(1).max(100).default(4),
  /** Runs that may wait behind the running one in a session; one more `chat.send` gets `rate_limited`. */
  maxQueuedPerSession: z.number().int().min(1).max(10_000).default(20),
  /** The most of MEMORY.md (its newest lines, in characters) that goes into the system prompt; `memory_read` reads all. */
  memoryMaxChars: z.number().int().min(500).max(1_000_000).default(16_000),
  /**
   * Most runs (of all sessions) executing at once; below it the daemon lowers the limit itself while its event
   * loop lags (see `RunScheduler`). Runs over it wait, stored and queued.
   */
  maxConcurrentRuns: z.number().int().min(1).max(10_000).default(256),
  /**
   * Most characters of model output one run may produce (text of every step plus tool-call arguments); past it
   * the run ends with status `max_length` and keeps the text so far. Default {@link DEFAULT_MAX_REPLY_CHARS}.
   */
  maxReplyChars: z.number().int().min(1_000).max(10_000_000).default(DEFAULT_MAX_REPLY_CHARS),
});

/** Price of a model in USD per million tokens (input, output, cached input). Keys are provider model ids. */
export const ModelPrice = z.strictObject({
  inputPerMTok: z.number().min(0),
  outputPerMTok: z.number().min(0),
  cachedInputPerMTok: z.number().min(0).optional(),
});

/**
 * Uploads and the files of a message (issue 12): size limit per file in bytes (default 25 MiB), per message
 * (`maxMessageBytes`, default 50 MiB) and files per message (`maxFiles`, default 10); the model (a name under
 * `models`) that transcribes audio at upload; the model that describes an image for a model without vision
 * (`visionModel`, tool `describe_image`); how many of the latest user turns keep their images and documents in
 * the model's context (`recentTurns`, default 3: older turns get one line per file); the most characters of a
 * text document or PDF inlined in a message (`inlineMaxChars`, default 20 000; the rest via `attachment_read`);
 * the model that speaks voice replies (`speechModel`, OpenAI-compatible `/audio/speech`) with its `speechVoice`
 * (default `alloy`, one of OpenAI's voices).
 */
export const UploadsConfig = z.strictObject({
  maxBytes: z.number().int().min(1024).default(25 * 1024 * 1024),
  maxMessageBytes: z.number().int().min(1024).default(50 * 1024 * 1024),
  maxFiles: z.number().int().min(1).max(16).default(10),
  transcriptionModel: name.optional(),
  visionModel: name.optional(),
  recentTurns: z.number().int().min(0).max(100).default(3),
  inlineMaxChars: z.number().int().min(0).max(1_000_000).default(20_000),
  speechModel: name.optional(),
  speechVoice: z.string().min(1).max(64).default("alloy"),
});
/** See {@link UploadsConfig}. */
export type UploadsConfig = z.infer<typeof UploadsConfig>;

/** The whole agentd.yaml (one schema: every key is checked; unknown keys are errors). */
export const Config = z.strictObject({
  name: name.default("agent"),
  server: ServerConfig.default(parsedDefault(ServerConfig, {})),
  model: name,
  fallbackModels: z.array(name).default([]),
  providers: z.record(name, ProviderConfig),
  models: z.record(name, ModelConfig),
  agent: AgentConfig.default(parsedDefault(AgentConfig, {})),
  logging: LoggingConfig.default(parsedDefault(LoggingConfig, {})),
  tools: ToolsConfig.default(parsedDefault(ToolsConfig, {})),
  mcp: McpConfig.default({ servers: {} }),
  pricing: z.record(z.string(), ModelPrice).default({}),
  channels: ChannelsConfig.default({}),
  deliveries: DeliveriesConfig.default(parsedDefault(DeliveriesConfig, {})),
  uploads: UploadsConfig.default(parsedDefault(UploadsConfig, {})),
  metrics: z.strictObject({ public: z.boolean().default(false) }).default({ public: false }),
  owner: OwnerConfig.default({ chats: [] }),
  backup: BackupConfig.default(parsedDefault(BackupConfig, {})),
  update: UpdateConfig.default({}),
  /** Scheduled jobs by name (issue 11, docs/schedules.md). */
  schedules: SchedulesConfig.default({}),
  /** The optional heartbeat (issue 11). */
  heartbeat: HeartbeatConfig.optional(),
  /** Incoming webhooks by name (issue 11). */
  hooks: HooksConfig.default({}),
}).superRefine((cfg, ctx) => {
  for (const ref of [cfg.model, ...cfg.fallbackModels]) {
    if (!cfg.models[ref]) ctx.addIssue({ code: "custom", path: [ref === cfg.model ? "model" : "fallbackModels"], message: `no model named "${ref}" under models` });
  }
  for (const [key, m] of Object.entries(cfg.models)) {
    if (!cfg.providers[m.provider]) ctx.addIssue({ code: "custom", path: ["models", key, "provider"], message: `no provider named "${m.provider}" under providers` });
  }
  if (cfg.uploads.visionModel && !cfg.models[cfg.uploads.visionModel]) {
    ctx.addIssue({ code: "custom", path: ["uploads", "visionModel"], message: `no model named "${cfg.uploads.visionModel}" under models` });
  }
  if (cfg.uploads.speechModel && !cfg.models[cfg.uploads.speechModel]) {
    ctx.addIssue({ code: "custom", path: ["uploads", "speechModel"], message: `no model named "${cfg.uploads.speechModel}" under models` });
  }
  if (cfg.uploads.transcriptionModel && !cfg.models[cfg.uploads.transcriptionModel]) {
    ctx.addIssue({ code: "custom", path: ["uploads", "transcriptionModel"], message: `no model named "${cfg.uploads.transcriptionModel}" under models` });
  }
  const jobs: Array<[Array<string>, { cron?: string | undefined; timezone?: string | undefined }]> = Object.entries(cfg.schedules).map(([k, j]) => [["schedules", k], j]);
  if (cfg.heartbeat) jobs.push([["heartbeat"], cfg.heartbeat]);
  for (const [path, job] of jobs) {
    if (job.timezone !== undefined && !isTimeZone(job.timezone)) ctx.addIssue({ code: "custom", path: [...path, "timezone"], message: "not an IANA time zone (e.g. Europe/Berlin)" });
    else if (job.cron !== undefined) {
      try {
        parseCron(job.cron, job.timezone ?? cfg.agent.timezone);
      } catch (err) {
        ctx.addIssue({ code: "custom", path: [...path, "cron"], message: (err as Error).message.replace(/^cron: /, "") });
      }
    }
  }
});
/** The validated configuration, defaults applied. */
export type Config = z.infer<typeof Config>;
