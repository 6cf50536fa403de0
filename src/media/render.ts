import type { ChatCompletionContentPart, ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { Attachment } from "../../protocol/chat.js";
import { rowAttachments, type MessageRow } from "../store/store.js";
import { clipText, documentText } from "./extract.js";
import { attachmentPath, fileLine, isAudio, isImage, isPdf, isTextDocument } from "./files.js";
import { prepareImage } from "./image.js";

/** Tokens of image content parts built by {@link prepareMedia} (what the provider counts), for the context's budget. */
export const imagePartTokens = new WeakMap<object, number>();

/** What a user message with files becomes in the model's context: a string, or text plus image parts. */
export type MediaContent = string | ChatCompletionContentPart[];

/** How {@link prepareMedia} treats files. */
export interface MediaOptions {
  dir: string;
  /** The model takes image parts (see `acceptsImages`). */
  vision: boolean;
  /** A vision model is configured for `describe_image`. */
  describer: boolean;
  /** User turns (newest first) whose files go into the context in full (`uploads.recentTurns`). */
  recentTurns: number;
  /** Most characters of one document inlined (`uploads.inlineMaxChars`). */
  inlineMaxChars: number;
  /** Most tokens of images and inlined documents in one request (the model's `mediaTokens`). */
  budgetTokens: number;
}

/**
 * The context content of a user message whose files are older than the recent window (or that no longer fit):
 * its text, then one line per file naming it, its type and size, so no bytes are re-sent (issue 12).
 */
export function mentionFiles(text: string, files: Attachment[], note = "older than the recent turns: not shown again; attachment_read reads documents"): string {
  const lines = files.filter((a) => !isAudio(a) || a.transcription === undefined).map((a) => fileLine(a, isAudio(a) ? "audio, not transcribed" : note));
  return [text, ...lines].filter(Boolean).join("\n");
}

/**
 * Builds the content of the user messages with files among `rows` (the session's context, oldest first) for a
 * model request (issue 12). Only the user messages of the last `recentTurns` turns get their files in full,
 * newest first while `budgetTokens` lasts: images as `image_url` parts with a data URL (downscaled, see
 * `prepareImage`) when the model has vision, else one line (and a pointer to `describe_image` when a vision
 * model is configured); text documents and PDFs inlined up to `inlineMaxChars` characters (the rest via
 * `attachment_read`); any other type named with its type and size. Voice notes are already the message text.
 * Returns a map from message id to content; rows not in it are rendered by {@link mentionFiles}.
 */
export async function prepareMedia(rows: MessageRow[], opts: MediaOptions): Promise<Map<string, MediaContent>> {
  const out = new Map<string, MediaContent>();
  const users = rows.filter((r) => r.role === "user");
  const recent = users.slice(Math.max(0, users.length - opts.recentTurns)).reverse();
  let budget = opts.budgetTokens;
  for (const row of recent) {
    const files = rowAttachments(row);
    if (files.length === 0) continue;
    const lines: string[] = [];
    const images: ChatCompletionContentPart[] = [];
    for (const a of files) {
      if (isAudio(a)) {
        if (a.transcription === undefined) lines.push(fileLine(a, "audio, not transcribed"));
        continue;
      }
      try {
        if (isImage(a) && opts.vision) {
          const img = await prepareImage(attachmentPath(opts.dir, a), a.mime);
          if (!img) lines.push(fileLine(a, "could not be decoded as an image"));
          else if (img.tokens > budget) lines.push(fileLine(a, `not shown: over this model's media budget (mediaTokens)`));
          else {
            budget -= img.tokens;
            lines.push(fileLine(a, `shown below, ${img.width}x${img.height}`));
            const part: ChatCompletionContentPart = { type: "image_url", image_url: { url: img.dataUrl } };
            imagePartTokens.set(part, img.tokens);
            images.push(part);
          }
        } else if (a.mime.startsWith("image/")) {
          lines.push(fileLine(a, opts.describer ? "this model cannot see images; describe_image describes it" : "this model cannot see images"));
        } else if (isTextDocument(a) || isPdf(a)) {
          const text = await documentText(opts.dir, a);
          const maxChars = Math.min(opts.inlineMaxChars, budget * 4);
          if (text === undefined) lines.push(fileLine(a, isPdf(a) ? "no text layer (a scan?)" : "not text"));
          else if (maxChars < 200) lines.push(fileLine(a, "not inlined: over this model's media budget; attachment_read reads it"));
          else {
            const shown = clipText(text, maxChars, 0, a.path);
            budget -= Math.ceil(shown.length / 4);
            lines.push(`${fileLine(a, "its text follows")}\n${shown}\n[end of ${a.filename}]`);
          }
        } else {
          lines.push(fileLine(a, "attachment_read reads it"));
        }
      } catch {
        lines.push(fileLine(a, "could not be read"));
      }
    }
    const text = [row.content, ...lines].filter(Boolean).join("\n");
    out.set(row.id, images.length ? [{ type: "text", text }, ...images] : text);
  }
  return out;
}

/**
 * `messages` for a model without vision (a fallback model, when the first one had it): every user message's image
 * parts are dropped and its content becomes its text plus one line saying so, so no bytes travel. Returns the
 * same array when there is no image part.
 */
export function withoutImages(messages: ChatCompletionMessageParam[]): ChatCompletionMessageParam[] {
  if (!messages.some((m) => m.role === "user" && Array.isArray(m.content))) return messages;
  return messages.map((m) => {
    if (m.role !== "user" || !Array.isArray(m.content)) return m;
    const text = m.content.flatMap((p) => (p.type === "text" ? [p.text] : [])).join("\n");
    const images = m.content.filter((p) => p.type === "image_url").length;
    return { ...m, content: images ? `${text}\n[${images} image(s) above not shown: this model cannot see images]` : text };
  });
}
