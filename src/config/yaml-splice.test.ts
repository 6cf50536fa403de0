import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { PACKAGE_ROOT } from "../version.js";
import { parseConfig } from "./load.js";
import { spliceYaml } from "./yaml-splice.js";

const TEMPLATE = readFileSync(join(PACKAGE_ROOT, "agent-template", "agentd.yaml"), "utf8").replace("__AGENT_NAME__", "bot");
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
  it("keeps the text byte for byte when nothing changes", () => {
    const base = load(TEMPLATE);
    expect(spliceYaml(TEMPLATE, base, clone(base) as never)).toBe(TEMPLATE);
  });

  it("changes one scalar and nothing else (comments and their indentation stay)", () => {
    const base = load(TEMPLATE);
    const next = clone(base);
    next.models.main!.model = "gpt-4o";
    const out = spliceYaml(TEMPLATE, base, next as never)!;
    expect(changedLines(TEMPLATE, out)).toEqual({ added: ["    model: gpt-4o"], removed: ["    model: gpt-4o-mini"] });
    expect(load(out).models.main!.model).toBe("gpt-4o");
    expect(out).toContain("apiKey: ${OPENAI_API_KEY:-}");
  });

  it("adds a provider after the commented-out ones, before the next section's comment", () => {
    const base = load(TEMPLATE);
    const next = clone(base) as Record<string, any>;
    next.providers.groq = { baseUrl: "https://api.groq.com/openai/v1" };
    const out = spliceYaml(TEMPLATE, base, next)!;
    const lines = out.split("\n");
    const groq = lines.indexOf("  groq:");
    expect(lines[groq - 1]).toBe("  #   baseUrl: http://127.0.0.1:11434/v1");
    expect(lines[groq + 1]).toBe("    baseUrl: https://api.groq.com/openai/v1");
    expect(lines[groq + 2]).toBe("");
    expect(lines[groq + 3]).toMatch(/^# Named models/);
    expect(load(out).providers.groq).toMatchObject({ baseUrl: "https://api.groq.com/openai/v1", timeoutMs: 120000 });
  });

  it("fills a section whose keys are all commented out with just the changed keys", () => {
    const base = load(TEMPLATE);
    const next = clone(base);
    next.agent.maxSteps = 12;
    const out = spliceYaml(TEMPLATE, base, next as never)!;
    expect(changedLines(TEMPLATE, out)).toEqual({ added: ["  maxSteps: 12"], removed: [] });
    expect(out).toMatch(/# titleSessions: true\n {2}maxSteps: 12\n/);
    expect(load(out).agent.maxSteps).toBe(12);
  });

  it("adds a new top-level section at the end and removes deleted keys", () => {
    const base = load(TEMPLATE);
    const next = clone(base) as Record<string, any>;
    next.tools = { deny: ["current_time"] };
    delete next.fallbackModels;
    const out = spliceYaml(TEMPLATE, base, next)!;
    expect(out).not.toMatch(/^fallbackModels/m);
    expect(out.endsWith("tools:\n  deny:\n    - current_time\n")).toBe(true);
    expect(load(out).tools.deny).toEqual(["current_time"]);
  });

  it("edits flow and block lists, keeping unchanged items as written", () => {
    const src = "model: a\nfallbackModels: []\nlist:\n  - ${HOME}/x # first\n  - b\n";
    const out = spliceYaml(src, { model: "a", fallbackModels: [], list: ["/h/x", "b"] }, { model: "a", fallbackModels: ["b", "c d"], list: ["/h/x", "z"] })!;
    expect(out).toBe("model: a\nfallbackModels: [b, \"c d\"]\nlist:\n  - ${HOME}/x # first\n  - z\n");
  });

  it("passes changed secrets through the secret hook", () => {
    const base = load(TEMPLATE);
    const next = clone(base) as Record<string, any>;
    next.providers.openai.apiKey = "sk-new-secret-0000000000";
    next.providers.groq = { baseUrl: "https://api.groq.com/openai/v1", apiKey: "gsk-secret-1111111111" };
    const seen: string[] = [];
    const out = spliceYaml(TEMPLATE, base, next, { secret: (path, _value, current) => (seen.push(path.join(".")), current ? String(current.value) : "${GROQ_API_KEY}") })!;
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

  it("gives up on shapes it does not edit (a non-empty flow map), so the caller falls back", () => {
    const src = "headers: { A: b }\n";
    expect(spliceYaml(src, { headers: { A: "b" } }, { headers: { A: "c" } })).toBeUndefined();
  });
});
