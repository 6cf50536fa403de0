import { signal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import type { Approval, ApprovalDecision } from "../../protocol/approvals.js";
import { c } from "./api.js";

const pending = signal<Approval[]>([]);
const notice = signal("");

/** Puts `a` in the list while pending, takes it out once answered, expired or cancelled. */
function apply(a: Approval) {
  const rest = pending.value.filter((p) => p.id !== a.id);
  pending.value = a.state === "pending" ? [a, ...rest] : rest;
}

async function decide(a: Approval, decision: ApprovalDecision) {
  try {
    const { approval } = await c().request("approvals.decide", { id: a.id, decision });
    apply(approval);
    notice.value = `${a.tool} ${a.code}: ${approval.state}${decision === "always" ? ` (always for ${a.grantPattern})` : ""}.`;
  } catch (err) {
    notice.value = (err as Error).message;
  }
}

/**
 * The approvals inbox (issue 13/14): the tool calls waiting for an answer, with Approve once / Always / Deny.
 * `approvals.subscribe` answers with the pending requests and makes this connection receive
 * `approval.requested` / `approval.decided`, which keep the list current.
 */
export function Approvals() {
  useEffect(() => {
    const off = c().onPush((event, payload) => {
      if (event === "approval.requested" || event === "approval.decided") apply((payload as { approval: Approval }).approval);
    });
    c().request("approvals.subscribe", {}).then((r) => (pending.value = r.pending), (err: Error) => (notice.value = err.message));
    return off;
  }, []);
  return (
    <main class="page">
      <h2>Approvals</h2>
      {notice.value && <p role="status">{notice.value}</p>}
      {pending.value.length === 0 && <p class="muted">No tool call is waiting for an answer.</p>}
      <ul class="approvals">
        {pending.value.map((a) => (
          <li class="approval" data-code={a.code}>
            <p><strong>{a.tool}</strong> <code>{a.subject}</code> <small class="muted">code {a.code} · expires {new Date(a.expiresAt).toLocaleTimeString()}</small></p>
            <details><summary>arguments</summary><pre>{a.arguments}</pre></details>
            <p class="muted"><a href={`#/chat/${a.sessionId}`}>session</a></p>
            <div class="row">
              <button type="button" onClick={() => void decide(a, "approve")}>Approve once</button>
              <button type="button" title={`Allow ${a.tool} calls matching ${a.grantPattern} from now on`} onClick={() => void decide(a, "always")}>Always</button>
              <button type="button" onClick={() => void decide(a, "deny")}>Deny</button>
            </div>
          </li>
        ))}
      </ul>
    </main>
  );
}
