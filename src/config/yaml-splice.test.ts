import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { PACKAGE_ROOT } from "../version.js";
import { parseConfig } from "./load.js";
import { spliceYaml } from "./yaml-splice.js";

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
  main:
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

/** Lines of `after` that are not in `before` and vice versa (a crude line diff). */
function changedLines(before: string, after: string): { added: string[]; removed: string[] } {
  const a = before.split("\n");
  const b = after.split("\n");
  return { added: b.filter((l) => !a.includes(l)), removed: a.filter((l) => !b.includes(l)) };
}

describe("spliceYaml", () => {
  it("keeps the text byte for byte when nothing changes (the shipped template too)", () => {
    const base = load(SRC);
    expect(spliceYaml(SRC, base, clone(base) as never)).toBe(SRC);
    const template = readFileSync(join(PACKAGE_ROOT, "agent-template", "agentd.yaml"), "utf8").replace("__AGENT_NAME__", "bot");
    const t = load(template);
    expect(spliceYaml(template, t, clone(t) as never)).toBe(template);
  });

  it("changes one scalar and nothing else; inline comments stay", () => {
    const base = load(SRC);
    const next = clone(base);
    next.models.main!.model = "gpt-4o";
    next.server.port = 9000;
    const out = spliceYaml(SRC, base, next as never)!;
    expect(changedLines(SRC, out)).toEqual({ added: ["  port: 9000 # preferred", "    model: gpt-4o"], removed: ["  port: 8765 # preferred", "    model: gpt-4o-mini"] });
    expect(load(out).models.main!.model).toBe("gpt-4o");
  });

  it("adds a provider after the commented-out ones, before the next section's comment", () => {
    const base = load(SRC);
    const next = clone(base) as Record<string, any>;
    next.providers.groq = { baseUrl: "https://api.groq.com/openai/v1" };
    const out = spliceYaml(SRC, base, next)!;
    expect(out).toContain("  #   baseUrl: http://127.0.0.1:11434/v1\n  groq:\n    baseUrl: https://api.groq.com/openai/v1\n\n# Named models.\n");
    expect(load(out).providers.groq).toMatchObject({ baseUrl: "https://api.groq.com/openai/v1", timeoutMs: 120000 });
  });

  it("fills a section whose keys are all commented out with just the changed keys", () => {
    const base = load(SRC);
    const next = clone(base);
    next.agent.maxSteps = 12;
    const out = spliceYaml(SRC, base, next as never)!;
    expect(out).toContain("agent:\n  # maxSteps: 8\n  # titleSessions: true\n  maxSteps: 12\n\nmcp:");
    expect(load(out).agent.maxSteps).toBe(12);
  });

  it("turns an empty flow map into a block map above its commented examples", () => {
    const base = load(SRC);
    const next = clone(base) as Record<string, any>;
    next.mcp.servers.search = { url: "http://127.0.0.1:3001/mcp" };
    const out = spliceYaml(SRC, base, next)!;
    expect(out).toContain("mcp:\n  servers:\n    search:\n      url: http://127.0.0.1:3001/mcp\n  # files:\n");
    expect(load(out).mcp.servers.search).toMatchObject({ url: "http://127.0.0.1:3001/mcp", enabled: true });
  });

  it("adds a new top-level section at the end and removes deleted keys", () => {
    const base = load(SRC);
    const next = clone(base) as Record<string, any>;
    next.tools = { deny: ["current_time"] };
    delete next.fallbackModels;
    const out = spliceYaml(SRC, base, next)!;
    expect(out).not.toMatch(/^fallbackModels/m);
    expect(out).toContain("# The active model.\nmodel: main\n\nproviders:");
    expect(out.endsWith("  #   command: npx\ntools:\n  deny:\n    - current_time\n")).toBe(true);
    expect(load(out).tools.deny).toEqual(["current_time"]);
  });

  it("edits flow and block lists, keeping unchanged items as written", () => {
    const src = "model: a\nfallbackModels: []\nlist:\n  - ${HOME}/x # first\n  - b\n  - c\nend: 1\n";
    const base = { model: "a", fallbackModels: [], list: ["/h/x", "b", "c"], end: 1 };
    expect(spliceYaml(src, base, { ...base, fallbackModels: ["b", "c d"], list: ["/h/x", "z"] }))
      .toBe("model: a\nfallbackModels: [b, \"c d\"]\nlist:\n  - ${HOME}/x # first\n  - z\nend: 1\n");
    expect(spliceYaml(src, base, { ...base, list: ["/h/x", "b", "c", "d"] })).toBe("model: a\nfallbackModels: []\nlist:\n  - ${HOME}/x # first\n  - b\n  - c\n  - d\nend: 1\n");
  });

  it("passes changed secrets through the secret hook", () => {
    const base = load(SRC);
    const next = clone(base) as Record<string, any>;
    next.providers.openai.apiKey = "sk-new-secret-0000000000";
    next.providers.groq = { baseUrl: "https://api.groq.com/openai/v1", apiKey: "gsk-secret-1111111111" };
    const seen: string[] = [];
    const out = spliceYaml(SRC, base, next, {
      secret: (path, _value, current) => {
        seen.push(path.join("."));
        return current ? String(current.value) : "${GROQ_API_KEY}";
      },
    })!;
    expect(seen.sort()).toEqual(["providers.groq.apiKey", "providers.openai.apiKey"]);
    expect(out).toContain("apiKey: ${OPENAI_API_KEY:-}");
    expect(out).toContain("apiKey: ${GROQ_API_KEY}");
    expect(out).not.toContain("secret-");
  });

  it("quotes strings that YAML would read as something else", () => {
    const src = "name: a\nhost: x\n";
    const out = spliceYaml(src, { name: "a", host: "x" }, { name: "a", host: "123", extra: "a: b #c", multi: "one\ntwo" })!;
    expect(parseDocument(out).toJS()).toEqual({ name: "a", host: "123", extra: "a: b #c", multi: "one\ntwo" });
  });

  it("edits values inside a flow map, quoting for the flow context", () => {
    const src = "headers: { A: b, C: d } # flow\n";
    expect(spliceYaml(src, { headers: { A: "b", C: "d" } }, { headers: { A: "x,y", C: "d" } })).toBe("headers: { A: \"x,y\", C: d } # flow\n");
  });

  it("gives up on shapes it does not edit (a key added to a flow map), so the caller falls back", () => {
    expect(spliceYaml("headers: { A: b }\n", { headers: { A: "b" } }, { headers: { A: "b", B: "c" } })).toBeUndefined();
    expect(spliceYaml("headers: { A: b }\n", { headers: { A: "b" } }, { headers: "x" })).toBeUndefined();
  });
});
