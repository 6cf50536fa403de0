import { describe, it, expect } from "vitest";
import { McpConfig, McpServerConfig, isStdioConfig } from "./mcp.js";

function firstIssue(input: unknown): { path: string; message: string; keys?: string[] } {
  const r = McpConfig.safeParse(input);
  if (r.success) throw new Error("expected a validation failure");
  const issue = r.error.issues[0];
  return { path: issue?.path.join(".") ?? "", message: issue?.message ?? "", ...(issue && "keys" in issue ? { keys: issue.keys as string[] } : {}) };
}

describe("McpConfig", () => {
  it("accepts stdio and HTTP servers and applies defaults", () => {
    const cfg = McpConfig.parse({
      servers: {
        fs: { command: "npx", args: ["-y", "pkg"], env: { TOKEN: "x" }, cwd: "data" },
        web: { url: "https://example.com/mcp", headers: { Authorization: "Bearer t" }, enabled: false, tools: { allow: ["a"], deny: ["b"] }, callTimeoutMs: 5000 },
      },
    });
    expect(cfg.servers.fs).toEqual({ command: "npx", args: ["-y", "pkg"], env: { TOKEN: "x" }, cwd: "data", enabled: true, callTimeoutMs: 60000 });
    expect(cfg.servers.web).toMatchObject({ enabled: false, callTimeoutMs: 5000, tools: { allow: ["a"], deny: ["b"] } });
    expect(isStdioConfig(cfg.servers.fs!)).toBe(true);
    expect(isStdioConfig(cfg.servers.web!)).toBe(false);
  });

  it("defaults servers to {}", () => {
    expect(McpConfig.parse({})).toEqual({ servers: {} });
  });

  it("rejects a misspelt key with its path", () => {
    expect(firstIssue({ servers: { fs: { command: "x", argz: [] } } })).toMatchObject({ path: "servers.fs", keys: ["argz"] });
    expect(firstIssue({ servers: { fs: { command: "x", tools: { alow: ["a"] } } } })).toMatchObject({ path: "servers.fs.tools", keys: ["alow"] });
    expect(firstIssue({ server: {} })).toMatchObject({ keys: ["server"] });
  });

  it("rejects a non-http URL, a bad name, a bad timeout and an entry that is neither kind", () => {
    expect(firstIssue({ servers: { w: { url: "ftp://example.com" } } })).toMatchObject({ path: "servers.w.url", message: "expected an http:// or https:// URL" });
    expect(firstIssue({ servers: { "has space": { command: "x" } } }).path).toBe("servers.has space");
    expect(firstIssue({ servers: { ["a".repeat(33)]: { command: "x" } } }).message).toMatch(/1-32 characters/);
    expect(firstIssue({ servers: { s: { command: "x", callTimeoutMs: 0 } } }).path).toBe("servers.s.callTimeoutMs");
    expect(firstIssue({ servers: { s: {} } })).toMatchObject({ path: "servers.s", message: expect.stringMatching(/stdio server .* or an HTTP server/) });
  });

  it("does not mix the two kinds", () => {
    expect(McpServerConfig.safeParse({ command: "x", url: "http://a/mcp" }).success).toBe(false);
    expect(McpServerConfig.safeParse({ url: "http://a/mcp", env: {} }).success).toBe(false);
  });
});
