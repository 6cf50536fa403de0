import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ToolContext } from "../agent/tools/tool.js";
import { ValidationError } from "../errors.js";
import { tempVault } from "./test-support.js";
import { vaultTools } from "./tools.js";
import type { Vault } from "./vault.js";

const ctx: ToolContext = { signal: new AbortController().signal, sessionId: "s", runId: "r", logger: pino({ level: "silent" }) };

let vault: Vault;
let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ vault, dir, cleanup } = await tempVault());
});
afterAll(async () => cleanup());

function tool(name: string) {
  const t = vaultTools(vault).find((x) => x.name === name);
  if (!t) throw new Error(`no tool ${name}`);
  return t;
}

describe("vault tools", () => {
  it("are four, with lean one-sentence descriptions and JSON Schema inputs", () => {
    const tools = vaultTools(vault);
    expect(tools.map((t) => t.name)).toEqual(["vault_search", "vault_read", "vault_write", "vault_list"]);
    for (const t of tools) {
      expect(t.description.length).toBeLessThan(80);
      expect(t.inputSchema.type).toBe("object");
    }
    expect(JSON.stringify(tools.map((t) => [t.name, t.description, t.inputSchema])).length).toBeLessThan(1600);
  });

  it("vault_search prints one compact line per hit", async () => {
    const out = await tool("vault_search").run({ query: "brûlée" }, ctx);
    expect(out).toBe("Café Menü.md | Café Menü | # Café Menü ## Desserts Crème **brûlée**. #日本語 #food/dessert/sweet Link to [[New Year]] and [[Über Note…");
    expect(await tool("vault_search").run({ query: "zzzz" }, ctx)).toBe("no matches");
  });

  it("vault_read shows header, backlinks, unresolved links and the body; adds .md", async () => {
    const out = await tool("vault_read").run({ path: "Home" }, ctx);
    const [head, body] = out.split("\n---\n");
    expect(head).toContain("path: Home.md");
    expect(head).toContain('frontmatter: {"title":"Welcome Home","tags":["home","meta/index"],"aliases":["Start","Dashboard"]}');
    expect(head).toContain("backlinks: Daily Notes/2024-01-01.md, Ideas.md, Projects/Plan.md");
    expect(head).toContain("unresolved links: Missing Note");
    expect(body).toBe(vault.read("Home.md").content);
  });

  it("vault_write creates, replaces keeping frontmatter, and appends", async () => {
    expect(await tool("vault_write").run({ path: "Agent/Log", content: "first\n" }, ctx)).toBe("created Agent/Log.md");
    expect(await tool("vault_write").run({ path: "Agent/Log.md", content: "second", append: true }, ctx)).toBe("appended to Agent/Log.md");
    expect(readFileSync(join(dir, "Agent/Log.md"), "utf8")).toBe("first\nsecond");
    expect(await tool("vault_write").run({ path: "Projects/Plan.md", content: "# New plan\n" }, ctx)).toBe("updated Projects/Plan.md");
    expect(readFileSync(join(dir, "Projects/Plan.md"), "utf8")).toBe("---\ntags: project\nstatus: draft\n---\n# New plan\n");
    expect(await tool("vault_write").run({ path: "Fresh.md", content: "x", append: true }, ctx)).toBe("created Fresh.md");
  });

  it("vault_list prints path | title | tags", async () => {
    const out = await tool("vault_list").run({ folder: "Projects" }, ctx);
    expect(out.split("\n")).toEqual(["Projects/Plan.md | New plan | #project", "Projects/Sub/Deep.md | Deep", "Projects/Tasks.md | Tasks | #project/beta"]);
  });

  it("refuses escaping paths and bad arguments", async () => {
    await expect(tool("vault_read").run({ path: "../secret.md" }, ctx)).rejects.toThrow(ValidationError);
    await expect(tool("vault_write").run({ path: ".obsidian/x.md", content: "x" }, ctx)).rejects.toThrow(/hidden/);
    await expect(tool("vault_list").run({ folder: "/etc" }, ctx)).rejects.toThrow(ValidationError);
    await expect(tool("vault_write").run({ path: "x.md" }, ctx)).rejects.toThrow(/content/);
  });
});
