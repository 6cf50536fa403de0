import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import type { Delivery } from "../../../protocol/deliveries.js";
import { NotFoundError } from "../../errors.js";
import { resolveAttachment } from "../../deliveries/attachments.js";

/**
 * The HTTP answer of `GET /api/deliveries/{id}/attachments/{index}`: the file streamed with its MIME type and
 * length. The path is resolved again (a file moved out of vault/, uploads/ or workspace/ since, or replaced by a
 * symlink leading outside, is refused). Throws `NotFoundError` for an unknown index or a file that is gone.
 */
export async function attachmentResponse(dir: string, delivery: Delivery, index: number): Promise<Response> {
  const a = delivery.attachments[index];
  if (!a) throw new NotFoundError(`delivery ${delivery.id} has no file ${index}`, { id: delivery.id });
  const resolved = await resolveAttachment(dir, a.path);
  const abs = `${dir}/${resolved.path}`;
  const size = (await stat(abs)).size;
  const body = Readable.toWeb(createReadStream(abs)) as ReadableStream<Uint8Array>;
  return new Response(body, {
    headers: {
      "content-type": a.mime,
      "content-length": String(size),
      "content-disposition": `attachment; filename*=UTF-8''${encodeURIComponent(a.name)}`,
      "cache-control": "no-store",
    },
  });
}
