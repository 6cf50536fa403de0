import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDocument, YAMLParseError } from "yaml";
import { PACKAGE_ROOT } from "../version.js";
import { parseConfig } from "./load.js";
import { rewriteYaml } from "./yaml-merge.js";

/** A config shaped like the template: commented-out keys at several indents, a section with only comments. */
const SRC = `# agentd.yaml
name: bot

server:
  port: 8765 # preferred
  # maxBodyBytes: 1048576

# The active model.
model: main
fallbackModels: []

providers:
  openai:
    baseUrl: https://api.openai.com/v1
    apiKey: \${OPENAI_API_KEY:-}
    # timeoutMs: 120000
  # ollama:
  #   baseUrl: http://127.0.0.1:11434/v1

# Named models.
models:
  main: # the default
    provider: openai
    model: gpt-4o-mini
    # contextTokens: 128000

agent:
  # maxSteps: 8
  # titleSessions: true

mcp:
  servers: {}
  # files:
  #   command: npx
`;
const env = { OPENAI_API_KEY: "sk-test-secret-value-0001" };
const load = (text: string) => parseConfig(text, "agentd.yaml", env);
const clone = <T>(v: T): T => structuredClone(v);
const template = readFileSync(join(PACKAGE_ROOT, "agent-template", "agentd.yaml"), "utf8").replace("__AGENT_NAME__", "bot");

/** Lines of `after` that are not in `before` and vice versa (a crude line diff). */
function changedLines(before: string, after: string): { added: string[]; removed: string[] } {
  const a = before.split("\n");
  const b = after.split("\n");
  return { added: b.filter((l) => !a.includes(l)), removed: a.filter((l) => !b.includes(l)) };
}

describe("rewriteYaml", () => {
  it("changes one scalar and nothing else: every comment stays where it was written, byte for byte", () => {
    for (const src of [SRC, template]) {
      const base = load(src);
      const next = clone(base);
      next.models.main!.model = "gpt-4o";
      next.server.port = 9000;
      const out = rewriteYaml(src, base, next as never);
      expect(changedLines(src, out)).toEqual({ added: ["  port: 9000", "    model: gpt-4o"].map((l) => (src === SRC && l.includes("port") ? `${l} # preferred` : l)), removed: [src === SRC ? "  port: 8765 # preferred" : "  port: 8765", "    model: gpt-4o-mini"] });
      expect(out.split("\n")).toHaveLength(src.split("\n").length);
      expect(load(out).models.main!.model).toBe("gpt-4o");
    }
  });

  it("keeps the text when nothing changes, and refuses a file that is not YAML", () => {
    const base = load(SRC);
    expect(rewriteYaml(SRC, base, clone(base) as never)).toBe(SRC);
    expect(() => rewriteYaml("a: [1\n", {}, { a: 2 })).toThrow(YAMLParseError);
  });

  it("adds a provider at the end of providers, before the commented-out ones and the next section's comment", () => {
    const base = load(SRC);
    const next = clone(base) as Record<string, any>;
    next.providers.groq = { baseUrl: "https://api.groq.com/openai/v1", apiKey: "" };
    const out = rewriteYaml(SRC, base, next);
    expect(out).toContain("    # timeoutMs: 120000\n  groq:\n    baseUrl: https://api.groq.com/openai/v1\n    apiKey: \"\"\n  # ollama:\n  #   baseUrl: http://127.0.0.1:11434/v1\n\n# Named models.\nmodels:\n");
    expect(load(out).providers.groq).toMatchObject({ baseUrl: "https://api.groq.com/openai/v1", timeoutMs: 120000 });
  });

  it("fills a section whose keys are all commented out, below those comments", () => {
    const base = load(SRC);
    const next = clone(base);
    next.agent.maxSteps = 12;
    const out = rewriteYaml(SRC, base, next as never);
    expect(out).toContain("\nagent:\n  # maxSteps: 8\n  # titleSessions: true\n  maxSteps: 12\n\nmcp:");
    expect(load(out).agent.maxSteps).toBe(12);
  });

  it("turns an empty flow map into a block map above its commented examples", () => {
    const base = load(SRC);
    const next = clone(base) as Record<string, any>;
    next.mcp.servers.search = { url: "http://127.0.0.1:3001/mcp" };
    const out = rewriteYaml(SRC, base, next);
    expect(out).toContain("mcp:\n  servers:\n    search:\n      url: http://127.0.0.1:3001/mcp\n  # files:\n  #   command: npx\n");
    expect(load(out).mcp.servers.search).toMatchObject({ url: "http://127.0.0.1:3001/mcp", enabled: true });
  });

  it("adds a new top-level section at the end and removes deleted keys (merge-patch `null`)", () => {
    const base = load(SRC);
    const next = clone(base) as Record<string, any>;
    next.tools = { deny: ["current_time"] };
    delete next.fallbackModels;
    const out = rewriteYaml(SRC, base, next);
    expect(out).not.toMatch(/^fallbackModels/m);
    expect(out).toContain("# The active model.\nmodel: main\n\nproviders:");
    expect(out.endsWith("  #   command: npx\ntools:\n  deny:\n    - current_time\n")).toBe(true);
    expect(load(out).tools.deny).toEqual(["current_time"]);
  });

  it("replaces lists whole and keeps ${ENV} references of unchanged values", () => {
    const src = "model: a\nfallbackModels: []\nhome: ${HOME}/x # first\nlist:\n  - b\n  - c\n";
    const base = { model: "a", fallbackModels: [], home: "/h/x", list: ["b", "c"] };
    const out = rewriteYaml(src, base, { ...base, fallbackModels: ["b", "c d"], list: ["z"] });
    expect(out).toBe("model: a\nfallbackModels: [ b, c d ]\nhome: ${HOME}/x # first\nlist:\n  - z\n");
    expect(parseDocument(out).toJS()).toMatchObject({ fallbackModels: ["b", "c d"], list: ["z"] });
  });

  it("passes changed secrets through the secret hook, so they never land in the file", () => {
    const base = load(SRC);
    const next = clone(base) as Record<string, any>;
    next.providers.openai.apiKey = "sk-new-secret-0000000000";
    next.providers.groq = { baseUrl: "https://api.groq.com/openai/v1", apiKey: "gsk-secret-1111111111" };
    const seen: string[] = [];
    const out = rewriteYaml(SRC, base, next, {
      secret: (path, _value, current) => {
        seen.push(path.join("."));
        return current ? String(current.value) : "${GROQ_API_KEY}";
      },
    });
    expect(seen.sort()).toEqual(["providers.groq.apiKey", "providers.openai.apiKey"]);
    expect(out).toContain("apiKey: ${OPENAI_API_KEY:-}");
    expect(out).toContain("apiKey: ${GROQ_API_KEY}");
    expect(out).not.toContain("secret-");
  });

  it("quotes strings that YAML would read as something else", () => {
    const out = rewriteYaml("name: a\nhost: x\n", { name: "a", host: "x" }, { name: "a", host: "123", extra: "a: b #c", multi: "one\ntwo", no: "no" });
    expect(parseDocument(out).toJS()).toEqual({ name: "a", host: "123", extra: "a: b #c", multi: "one\ntwo", no: "no" });
  });

  it("edits and extends flow maps, quoting for the flow context", () => {
    const src = "headers: { A: b, C: d } # flow\n";
    const out = rewriteYaml(src, { headers: { A: "b", C: "d" } }, { headers: { A: "x,y", C: "d", E: "f" } });
    expect(out).toMatch(/^headers: \{ A: "x,y", C: d, E: f \} # flow\n$/);
  });
});
