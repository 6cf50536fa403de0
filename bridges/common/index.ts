export { splitMessage, takeChunk, tidyChunk, type SplitOptions } from "./split-message.js";
export { fitChunks } from "./fit-chunks.js";
export { renderMarkdown, type MarkdownRenderer } from "./markdown-render.js";
export {
  TELEGRAM_MAX_CHARS,
  escapeTelegramHtml,
  formatTelegramChunks,
  markdownToTelegramHtml,
  stripMarkdown,
  telegramHtmlToPlain,
  telegramTextLength,
  type TelegramChunkOptions,
} from "./format-telegram.js";
export { DISCORD_MAX_CHARS, formatDiscordChunks, markdownToDiscord, neutraliseMassMentions } from "./format-discord.js";
export { SLACK_MAX_CHARS, escapeSlack, formatSlackChunks, markdownToSlack } from "./format-slack.js";
export { WHATSAPP_MAX_CHARS, formatWhatsAppChunks, markdownToWhatsApp } from "./format-whatsapp.js";
export { TYPING_INTERVAL_MS, startTypingLoop, type TypingLoop, type TypingLoopOptions } from "./typing-loop.js";
export { DEFAULT_USER_ERROR, USER_ERROR_LINES, userErrorLine } from "./user-error.js";
export { BridgeRuntime, idempotencyKeyOf, uploadFile, type IncomingMessage, type PlatformAdapter, type BridgeLogger, type PendingFile } from "./bridge-runtime.js";
export { DeliveryConsumer, type DeliveryAdapter } from "./delivery-consumer.js";
export { Backoff, sleep, type BackoffOptions } from "../../protocol/backoff.js";
export { DEFAULT_MAX_DOWNLOAD_BYTES, fetchBytes } from "./download.js";
export { FileRefusedError, filesRefusedLine, tooLargeLine } from "./file-refusal.js";
export {
  BRIDGE_EXIT_CONFIG,
  BridgeConfigError,
  connectDaemon,
  createBridgeLogger,
  parseBridgeConfig,
  untilStopped,
  type BridgeOptions,
  type DaemonLink,
} from "./bridge-host.js";
export { DRAFT_MARKER, LiveReplies, UNCLAIMED_DRAFT_MS, draftView, isRunReply, type DraftAdapter, type LiveDraft } from "./live-reply.js";
