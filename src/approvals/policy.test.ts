import { describe, expect, it } from "vitest";
import { ApprovalConfig } from "../config/sections/approvals.js";
import { decideAction, ruleFor, subjectOf } from "./policy.js";

const cfg = (rules: unknown) => ApprovalConfig.parse({ rules });

describe("approval policy", () => {
  it("asks for exec, file_write and file_edit by default and allows the rest", () => {
    const c = cfg({});
    expect(decideAction("exec", { command: "ls" }, c).action).toBe("ask");
    expect(decideAction("file_write", { path: "a.txt", content: "x" }, c).action).toBe("ask");
    expect(decideAction("file_edit", { path: "a.txt" }, c).action).toBe("ask");
    expect(decideAction("web_fetch", { url: "https://example.com" }, c).action).toBe("allow");
    expect(decideAction("github__create_issue", {}, c).action).toBe("allow");
  });

  it("allows exec commands matching allow patterns, but never one with shell control characters", () => {
    const c = cfg({ exec: { allow: ["git status", "ls *"], deny: ["rm *"] } });
    expect(decideAction("exec", { command: "git status" }, c).action).toBe("allow");
    expect(decideAction("exec", { command: "ls src/agent" }, c).action).toBe("allow");
    expect(decideAction("exec", { command: "ls; rm -rf ~" }, c).action).toBe("ask");
    expect(decideAction("exec", { command: "ls $(rm -rf ~)" }, c).action).toBe("ask");
    expect(decideAction("exec", { command: "ls > /etc/passwd" }, c).action).toBe("ask");
    expect(decideAction("exec", { command: "git push" }, c).action).toBe("ask");
    expect(decideAction("exec", { command: "rm -rf build" }, c).action).toBe("deny");
  });

  it("matches MCP tools by <server>__<tool> glob; an exact name wins over a glob", () => {
    const c = cfg({ "github__*": "ask", github__get_issue: "allow", "fs__*": "deny" });
    expect(decideAction("github__create_issue", { title: "x" }, c).action).toBe("ask");
    expect(decideAction("github__get_issue", { id: 1 }, c).action).toBe("allow");
    expect(decideAction("fs__write", {}, c).action).toBe("deny");
    expect(ruleFor("current_time", c.rules)).toBe("allow");
  });

  it("lets the config override a default rule", () => {
    expect(decideAction("exec", { command: "rm -rf /" }, cfg({ exec: "allow" })).action).toBe("allow");
    expect(decideAction("file_write", { path: "x" }, cfg({ file_write: "deny" })).action).toBe("deny");
  });

  it("takes the command, else the path, else the url, else the JSON arguments as the subject", () => {
    expect(subjectOf({ command: "ls", cwd: "x" })).toEqual({ subject: "ls", keyed: true });
    expect(subjectOf({ path: "a/b.txt", content: "hi" })).toEqual({ subject: "a/b.txt", keyed: true });
    expect(subjectOf({ id: 3 })).toEqual({ subject: '{"id":3}', keyed: false });
  });

  it("refuses a rule that is not allow, ask or deny", () => {
    expect(() => cfg({ exec: "maybe" })).toThrow();
    expect(() => cfg({ exec: { default: "ask", allowed: ["ls"] } })).toThrow();
  });
});
