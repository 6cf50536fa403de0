import { z } from "zod";
import { defineTool, type Tool } from "../agent/tools/tool.js";
import type { DeliveryAddress } from "../../protocol/deliveries.js";
import { ValidationError } from "../errors.js";
import type { Outbox } from "./outbox.js";
import { resolveAttachment, writeGeneratedFile } from "./attachments.js";

/**
 * The `send_file` tool (issue 12): sends a file to the chat the run came from, through the outbox (durable before
 * any bridge sees it). Either `path` (a file under vault/, uploads/ or workspace/; any other relative path is a
 * vault path) or `content` + `name` (generated text, written to uploads/ first). `caption` goes with it as text.
 * `chatOf(runId)` gives the run's chat; a run without one (an API run) only lists the file in its `run.done`.
 * Every file sent is also noted for the run's `run.done` (`attachments`).
 */
export function sendFileTool(opts: { dir: string; outbox: Outbox; chatOf: (runId: string) => DeliveryAddress | undefined }): Tool {
  return defineTool({
    name: "send_file",
    description: "Send a file to this chat: from the vault, uploads/ or workspace/, or text you write (content + name). Images arrive as photos, others as documents.",
    input: z.strictObject({
      path: z.string().optional().describe("under vault/, uploads/ or workspace/; other paths are vault paths"),
      content: z.string().optional().describe("text to send as a file (with name)"),
      name: z.string().optional().describe("file name shown, e.g. report.md"),
      caption: z.string().max(1000).optional(),
    }),
    async run(args, ctx) {
      const chat = opts.chatOf(ctx.runId);
      if ((args.path === undefined) === (args.content === undefined)) throw new ValidationError("send_file: give either path or content (with name)", { path: "path" });
      const attachment = args.path !== undefined
        ? await resolveAttachment(opts.dir, args.path, { name: args.name })
        : await writeGeneratedFile(opts.dir, args.name ?? "", args.content!);
      opts.outbox.noteRunFile(ctx.runId, attachment);
      if (!chat) return `attached ${attachment.name} (${attachment.kind}, ${attachment.mime}, ${attachment.bytes} bytes) to your reply`;
      const d = opts.outbox.enqueue({ address: chat, text: args.caption ?? "", attachments: [attachment], runId: ctx.runId });
      return `queued ${attachment.name} (${attachment.kind}, ${attachment.mime}, ${attachment.bytes} bytes) for ${chat.platform}:${chat.chatId} as delivery ${d.id}`;
    },
  });
}
