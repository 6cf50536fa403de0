import { describe, expect, it } from "vitest";
import { ProtocolError, type AgentdClient } from "../../protocol/client.js";
import { answerButton, parseApprovalButton } from "./approval-buttons.js";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const by = { platform: "telegram", userId: "42", userName: "ann" };

/** A client answering `request` with `answer` (or throwing it), recording the calls. */
function client(answer: unknown) {
  const calls: Array<{ method: string; params: any }> = [];
  const c = {
    async request(method: string, params: unknown) {
      calls.push({ method, params });
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  return { c: c as unknown as AgentdClient, calls };
}

describe("approval buttons", () => {
  it("parses only ap:<id>:<decision>", () => {
    expect(parseApprovalButton("ap:ap_01abc:always")).toEqual({ id: "ap_01abc", decision: "always" });
    expect(parseApprovalButton("ap:ap_01abc:maybe")).toBeUndefined();
    expect(parseApprovalButton("something else")).toBeUndefined();
  });

  it("answers as the presser and shows the outcome", async () => {
    const { c, calls } = client({ approval: { state: "approved" } });
    expect(await answerButton(c, "ap:ap_1:approve", by, quiet)).toBe("Done: approved");
    expect(calls).toEqual([{ method: "approvals.decide", params: { id: "ap_1", decision: "approve", by } }]);
  });

  it("shows who answered first when the answer came too late", async () => {
    const { c } = client(new ProtocolError({ code: "conflict", message: "approval K7QX2M was already answered: approved by owner" }));
    expect(await answerButton(c, "ap:ap_1:deny", by, quiet)).toBe("approval K7QX2M was already answered: approved by owner");
  });

  it("a pairing request's button approves the code as the presser", async () => {
    const { c, calls } = client({ sender: { platform: "telegram", userId: "9", userName: "eve" } });
    expect(await answerButton(c, "pr:H4KW9PXR:approve", by, quiet)).toBe("Done: @eve may talk to the agent now");
    expect(calls[0]).toEqual({ method: "pairing.approve", params: { code: "H4KW9PXR", by } });
  });

  it("says so for an unknown button and never throws when the agent is unreachable", async () => {
    expect(await answerButton(client({}).c, "xyz", by, quiet)).toBe("Unknown button");
    expect(await answerButton(client(new Error("socket closed")).c, "ap:ap_1:approve", by, quiet)).toBe("Could not reach the agent; try again");
  });
});
