import type { DeliveryAddress, DeliveryAttachment } from "../../protocol/deliveries.js";
import type { Outbox } from "./outbox.js";

/**
 * Writes the text a run ended with to each of its delivery targets (issue 11), with the notice of earlier failed
 * deliveries to that chat in front. Nothing is delivered for an empty text, or when the text, trimmed, equals
 * `silentReply` (a heartbeat's "nothing to report"). Meant to run inside the transaction of the run's end.
 * `voice` (issue 12): the reply spoken; targets for which `wantsVoice(address)` get it as a voice note instead of
 * the text (the text stays in the session's history).
 */
export function deliverRunReply(
  outbox: Outbox, run: { id: string; deliverTo: readonly DeliveryAddress[]; silentReply?: string | undefined }, text: string,
  voice?: { attachment: DeliveryAttachment; wantsVoice: (address: DeliveryAddress) => boolean },
): void {
  const trimmed = text.trim();
  if (!trimmed) return;
  if (run.silentReply !== undefined && trimmed === run.silentReply.trim()) return;
  for (const address of run.deliverTo) {
    if (voice?.wantsVoice(address)) outbox.enqueue({ address, text: outbox.withFailureNotice(address, "").trim(), attachments: [voice.attachment], runId: run.id });
    else outbox.enqueue({ address, text: outbox.withFailureNotice(address, text), runId: run.id });
  }
}
