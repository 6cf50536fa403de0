import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import pino from "pino";
import { ConfigError } from "../errors.js";
import { ConfigStore } from "./config-store.js";
import { ConfigWriter } from "./config-writer.js";
import { watchConfigFile } from "./config-watch.js";
import { parseConfig } from "./load.js";

const YAML = `# my agent
name: bot
model: main
providers:
  openai:
    baseUrl: https://api.openai.com/v1
    # the key lives in .env
    apiKey: \${OPENAI_API_KEY}
models:
  main:
    provider: openai
    model: gpt-4o-mini # cheap
`;

let dir: string;
let env: NodeJS.ProcessEnv;
let lines: Array<{ level: number; msg: string; path?: string }>;
let store: ConfigStore;
let writer: ConfigWriter;
const file = () => join(dir, "agentd.yaml");

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "agentd-cfg-"));
  writeFileSync(file(), YAML);
  writeFileSync(join(dir, ".env"), "AGENTD_TOKEN=t\n");
  env = { OPENAI_API_KEY: "sk-proj-1234567890abcdef" };
  lines = [];
  const logger = pino({ level: "info" }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  store = new ConfigStore(parseConfig(YAML, file(), env));
  writer = new ConfigWriter({ dir, store, logger, env });
  writer.prime();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const current = () => structuredClone(store.get()) as Record<string, any>;

describe("ConfigWriter.write", () => {
  it("writes only the changed value, keeps comments and ${ENV}, and applies the config live", () => {
    const seen: string[][] = [];
    store.onChange((_n, _p, changed) => seen.push(changed));
    const next = current();
    next.models.main.model = "gpt-4o";
    const r = writer.write(next);
    expect(r).toMatchObject({ changed: ["models"], restartRequired: [] });
    expect(readFileSync(file(), "utf8")).toBe(YAML.replace("model: gpt-4o-mini # cheap", "model: gpt-4o # cheap"));
    expect(store.get().models.main!.model).toBe("gpt-4o");
    expect(seen).toEqual([["models"]]);
  });

  it("rejects an invalid result with the key path and leaves the file byte for byte", () => {
    const next = current();
    next.models.main.provider = "nope";
    let err: unknown;
    try {
      writer.write(next);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).keyPath).toBe("models.main.provider");
    expect(readFileSync(file(), "utf8")).toBe(YAML);
    expect(store.get().models.main!.provider).toBe("openai");
  });

  it("says which changes need a restart", () => {
    const next = current();
    next.server.port = 9999;
    expect(writer.write(next)).toMatchObject({ changed: ["server"], restartRequired: ["server"] });
  });

  it("stores a new secret in .env and references it from the YAML", () => {
    const next = current();
    next.providers.groq = { baseUrl: "https://api.groq.com/openai/v1", apiKey: "gsk_secret_value_123456" };
    next.providers.openai.apiKey = "sk-rotated-key-000000000";
    writer.write(next);
    const yaml = readFileSync(file(), "utf8");
    expect(yaml).toContain("apiKey: ${OPENAI_API_KEY}");
    expect(yaml).toContain("apiKey: ${GROQ_API_KEY}");
    expect(yaml).not.toContain("secret");
    expect(readFileSync(join(dir, ".env"), "utf8")).toBe("AGENTD_TOKEN=t\nOPENAI_API_KEY=sk-rotated-key-000000000\nGROQ_API_KEY=gsk_secret_value_123456\n");
    expect(store.get().providers.groq!.apiKey).toBe("gsk_secret_value_123456");
    expect(env.GROQ_API_KEY).toBe("gsk_secret_value_123456");
  });

  it("adds a key to a flow map, keeping the other comments", () => {
    writeFileSync(file(), YAML.replace("    # the key lives in .env\n", "    headers: { X-Team: red } # flow\n"));
    writer.reload();
    const next = current();
    next.providers.openai.headers = { "X-Team": "red", "X-Other": "blue" };
    writer.write(next);
    const text = readFileSync(file(), "utf8");
    expect(text).toContain("# my agent");
    expect(text).toContain("model: gpt-4o-mini # cheap");
    expect(text).toMatch(/X-Other: "?\$\{OPENAI_HEADER_X_OTHER\}"?/);
    expect(store.get().providers.openai!.headers).toEqual({ "X-Team": "red", "X-Other": "blue" });
  });

  it("does nothing when nothing changed", () => {
    expect(writer.write(current())).toMatchObject({ changed: [] });
    expect(readFileSync(file(), "utf8")).toBe(YAML);
  });
});

describe("ConfigWriter.reload (edits by hand)", () => {
  it("applies a valid edit and ignores an invalid one with a warning naming the key path", () => {
    writeFileSync(file(), YAML.replace("gpt-4o-mini", "gpt-4.1"));
    expect(writer.reload()).toMatchObject({ changed: ["models"] });
    expect(store.get().models.main!.model).toBe("gpt-4.1");
    writeFileSync(file(), YAML.replace("gpt-4o-mini", "gpt-4.1").replace("name: bot", "name: [oops"));
    expect(writer.reload()).toBeUndefined();
    writeFileSync(file(), YAML.replace("name: bot", "name: bot\nbogus: 1"));
    expect(writer.reload()).toBeUndefined();
    expect(store.get().models.main!.model).toBe("gpt-4.1");
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(2);
    expect(warnings[1]!.path).toBe("");
    expect(warnings[1]!.msg).toMatch(/unknown key: bogus/);
  });

  it("ignores the writer's own writes", () => {
    const next = current();
    next.models.main.model = "gpt-4o";
    writer.write(next);
    expect(writer.reload()).toBeUndefined();
  });

  it("is triggered by the folder watch, debounced", async () => {
    const reloaded: number[] = [];
    const watch = watchConfigFile(dir, () => {
      reloaded.push(Date.now());
      writer.reload();
    }, { logger: pino({ level: "silent" }), debounceMs: 50 });
    try {
      writeFileSync(file(), YAML.replace("gpt-4o-mini", "a"));
      writeFileSync(file(), YAML.replace("gpt-4o-mini", "b"));
      writeFileSync(join(dir, "other.txt"), "x");
      const deadline = Date.now() + 3000;
      while (store.get().models.main!.model !== "b" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(store.get().models.main!.model).toBe("b");
      expect(reloaded).toHaveLength(1);
    } finally {
      watch.close();
    }
  });
});
