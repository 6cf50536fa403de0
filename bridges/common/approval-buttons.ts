import { ProtocolError, type AgentdClient } from "../../protocol/client.js";
import type { BridgeLogger } from "./bridge-logger.js";

/** Parses an approval button's data (`ap:<id>:<decision>`, see the daemon's approval prompts); undefined otherwise. */
export function parseApprovalButton(data: string): { id: string; decision: "approve" | "always" | "deny" } | undefined {
  const m = /^ap:([A-Za-z0-9_-]{1,48}):(approve|always|deny)$/.exec(data);
  return m ? { id: m[1]!, decision: m[2] as "approve" | "always" | "deny" } : undefined;
}

/**
 * Answers a pressed approval button (issue 13), or a pairing request's button in an owner's chat (`pr:CODE:approve`,
 * as `pairing.approve`), over the protocol (`approvals.decide`, as the chat user who pressed
 * it) and returns the short line to show them: `Done: approved` / `Done: denied` / `Done: always allowed`, or why
 * not (already answered by someone else first, not theirs to answer, unknown). Never throws.
 */
export async function answerButton(
  client: AgentdClient, data: string, by: { platform: string; userId: string; userName?: string }, logger: BridgeLogger,
): Promise<string> {
  const pairing = /^pr:([A-Z0-9]{4,16}):approve$/.exec(data);
  if (pairing) {
    try {
      const { sender } = await client.request("pairing.approve", { code: pairing[1]!, by });
      return `Done: ${sender.userName ? `@${sender.userName}` : sender.userId} may talk to the agent now`;
    } catch (err) {
      return err instanceof ProtocolError ? err.message.slice(0, 190) : "Could not reach the agent; try again";
    }
  }
  const parsed = parseApprovalButton(data);
  if (!parsed) return "Unknown button";
  try {
    const res = await client.request("approvals.decide", { id: parsed.id, decision: parsed.decision, by });
    const a = res.approval;
    return `Done: ${a.state === "denied" ? "denied" : parsed.decision === "always" ? "always allowed" : "approved"}`;
  } catch (err) {
    if (err instanceof ProtocolError) {
      if (err.code !== "conflict") logger.warn({ code: err.code }, `approval button refused: ${err.message}`);
      return err.message.slice(0, 190);
    }
    logger.warn({ err: (err as Error).message }, "could not send the approval answer");
    return "Could not reach the agent; try again";
  }
}
