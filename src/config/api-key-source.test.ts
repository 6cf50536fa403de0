import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { apiKeyHint, apiKeySource, missingApiKeys } from "./api-key-source.js";
import { parseConfig } from "./load.js";

const dir = mkdtempSync(join(tmpdir(), "agentd-keys-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const YAML = `name: a
model: main
fallbackModels: [local, other]
providers:
  openai:
    baseUrl: https://api.openai.com/v1
    apiKey: \${OPENAI_API_KEY:-}
  ollama:
    baseUrl: http://127.0.0.1:11434/v1
  literal:
    baseUrl: https://example.com/v1
    apiKey: ""
models:
  main: { provider: openai, model: gpt-4o-mini }
  local: { provider: ollama, model: llama3.2 }
  other: { provider: literal, model: x }
`;

function load(env: Record<string, string>) {
  writeFileSync(join(dir, "agentd.yaml"), YAML);
  return parseConfig(YAML, join(dir, "agentd.yaml"), env);
}

describe("api key sources", () => {
  it("names the variable and .env for ${VAR}, the key path and agentd.yaml for a literal", () => {
    const cfg = load({});
    expect(apiKeySource(dir, cfg, "openai")).toEqual({
      provider: "openai", keyPath: "providers.openai.apiKey", variable: "OPENAI_API_KEY", file: join(dir, ".env"), empty: true,
      where: `OPENAI_API_KEY in ${join(dir, ".env")}`,
    });
    expect(apiKeySource(dir, cfg, "literal")).toMatchObject({ file: join(dir, "agentd.yaml"), empty: true, where: `providers.literal.apiKey in ${join(dir, "agentd.yaml")}` });
    expect(apiKeySource(dir, load({ OPENAI_API_KEY: "sk-1" }), "openai").empty).toBe(false);
  });

  it("lists the models whose configured key is empty, never a provider without an apiKey (a local server)", () => {
    expect(missingApiKeys(dir, load({})).map((m) => [m.model, m.source.provider])).toEqual([["main", "openai"], ["other", "literal"]]);
    expect(missingApiKeys(dir, load({ OPENAI_API_KEY: "sk-1" })).map((m) => m.model)).toEqual(["other"]);
  });

  it("says what to do in the hint", () => {
    const cfg = load({});
    expect(apiKeyHint(apiKeySource(dir, cfg, "openai"))).toBe(`no API key is set: put OPENAI_API_KEY=<your key> in ${join(dir, ".env")} and restart the agent`);
    expect(apiKeyHint(apiKeySource(dir, load({ OPENAI_API_KEY: "sk-1" }), "openai"))).toBe(`check the API key, OPENAI_API_KEY in ${join(dir, ".env")}, and restart the agent`);
  });

  it("reads the raw key from the YAML the config in force was parsed from, and from the file for any other config", () => {
    const cfg = load({});
    // agentd.yaml edited after the config was loaded: the config in force still names its own variable
    writeFileSync(join(dir, "agentd.yaml"), YAML.replace("OPENAI_API_KEY:-", "OTHER_KEY:-"));
    expect(apiKeySource(dir, cfg, "openai").variable).toBe("OPENAI_API_KEY");
    // a config parseConfig did not make (a copy) is looked up in the file
    expect(apiKeySource(dir, structuredClone(cfg), "openai").variable).toBe("OTHER_KEY");
  });
});
