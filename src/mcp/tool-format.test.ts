import { describe, it, expect } from "vitest";
import { exposedToolName, formatToolResult, isToolAllowed, shortDescription } from "./tool-format.js";

describe("exposedToolName", () => {
  it("prefixes the server and keeps names the model accepts", () => {
    expect(exposedToolName("fs", "read_file")).toBe("fs__read_file");
    expect(exposedToolName("gh", "repos.list/all")).toBe("gh__repos_list_all");
    const long = exposedToolName("server", "x".repeat(80));
    expect(long).toMatch(/^[a-zA-Z0-9_-]{64}$/);
    expect(long).not.toBe(exposedToolName("server", `${"x".repeat(79)}y`));
    expect(exposedToolName("server", "x".repeat(80))).toBe(long);
  });
});

describe("shortDescription", () => {
  it("keeps the first non-empty line, collapsed, at most 200 characters", () => {
    expect(shortDescription("\n  Reads a   file.\nMore details here.", undefined, "f")).toBe("Reads a file.");
    const cut = shortDescription("word ".repeat(100), undefined, "f");
    expect(cut.length).toBeLessThanOrEqual(200);
    expect(cut.endsWith("…")).toBe(true);
    expect(shortDescription(undefined, "Title", "f")).toBe("Title");
    expect(shortDescription("  ", undefined, "fallback")).toBe("fallback");
  });
});

describe("formatToolResult", () => {
  it("joins text parts and summarises the others in one line", () => {
    const text = formatToolResult({
      content: [
        { type: "text", text: "first" },
        { type: "image", mimeType: "image/png", data: Buffer.alloc(1234).toString("base64") },
        { type: "audio", mimeType: "audio/wav", data: Buffer.alloc(10).toString("base64") },
        { type: "resource", resource: { uri: "file:///a.txt", text: "inside" } },
        { type: "resource", resource: { uri: "file:///b.pdf", mimeType: "application/pdf", blob: Buffer.alloc(5).toString("base64") } },
        { type: "resource_link", uri: "file:///c", name: "c" },
      ],
    });
    expect(text.split("\n")).toEqual([
      "first",
      "[image image/png 1234 bytes]",
      "[audio audio/wav 10 bytes]",
      "[resource file:///a.txt]",
      "inside",
      "[resource file:///b.pdf application/pdf 5 bytes]",
      "[resource link file:///c (c)]",
    ]);
  });

  it("falls back to structured content, then the legacy toolResult, then empty", () => {
    expect(formatToolResult({ content: [], structuredContent: { a: 1 } })).toBe('{"a":1}');
    expect(formatToolResult({ toolResult: [1, 2] })).toBe("[1,2]");
    expect(formatToolResult({ content: [] })).toBe("");
  });
});

describe("isToolAllowed", () => {
  it("allows all by default, only the allow list when given, never the deny list", () => {
    expect(isToolAllowed(undefined, "a")).toBe(true);
    expect(isToolAllowed({ allow: [] }, "a")).toBe(true);
    expect(isToolAllowed({ allow: ["a"] }, "b")).toBe(false);
    expect(isToolAllowed({ allow: ["a"], deny: ["a"] }, "a")).toBe(false);
    expect(isToolAllowed({ deny: ["b"] }, "a")).toBe(true);
  });
});
