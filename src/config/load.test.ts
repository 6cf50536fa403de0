import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../errors.js";
import { loadConfig, parseConfig, expandEnv } from "./load.js";

const base = `
model: main
providers:
  p: { baseUrl: "http://127.0.0.1:1/v1", apiKey: "\${KEY}" }
models:
  main: { provider: p, model: m }
`;

function error(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("no error thrown");
}

describe("parseConfig", () => {
  it("expands ${VAR} and applies defaults", () => {
    const cfg = parseConfig(base, "agentd.yaml", { KEY: "sk-123" });
    expect(cfg.providers.p!.apiKey).toBe("sk-123");
    expect(cfg.server).toMatchObject({ port: 8765, host: "127.0.0.1" });
    expect(cfg.agent.maxSteps).toBe(8);
  });

  it("names the key path and reason of a bad value", () => {
    const e = error(() => parseConfig(`${base}\nserver:\n  port: 70000\n`, "agentd.yaml", { KEY: "k" }));
    expect(e.keyPath).toBe("server.port");
    expect(e.message).toContain("agentd.yaml: server.port:");
  });

  it("rejects unknown keys with their name", () => {
    const e = error(() => parseConfig(`${base}\nserver:\n  prot: 1\n`, "agentd.yaml", { KEY: "k" }));
    expect(e.keyPath).toBe("server");
    expect(e.reason).toBe("unknown key: prot (did you mean `port`?)");
  });

  it("says which key a top-level typo meant, before any missing key it causes", () => {
    const e = error(() => parseConfig(base.replace("model: main", "modle: main"), "agentd.yaml", { KEY: "k" }));
    expect(e.keyPath).toBe("");
    expect(e.reason).toBe("unknown key: modle (did you mean `model`?)");
    expect(e.message).toContain("did you mean `model`?");
    // nested in a record, and without a suggestion when nothing is close
    const nested = error(() => parseConfig(`${base}
mcp:
  servers:
    fs: { command: x, callTimeotMs: 5 }
`, "agentd.yaml", { KEY: "k" }));
    expect(nested.reason).toContain("did you mean `callTimeoutMs`?");
    expect(error(() => parseConfig(`${base}
zzzzzz: 1
`, "agentd.yaml", { KEY: "k" })).reason).toBe("unknown key: zzzzzz");
  });

  it("fills numbers and booleans from ${VAR}, typed as the schema wants them", () => {
    const text = `${base}\nserver:\n  port: \${B_PORT:-8770}\n  maxFrameBytes: "\${FRAME}"\nmetrics:\n  public: \${PUBLIC:-false}\nmcp:\n  servers:\n    fs:\n      command: x\n      callTimeoutMs: \${T}\n`;
    let cfg = parseConfig(text, "agentd.yaml", { KEY: "k", FRAME: "4096", T: "1500" });
    expect(cfg.server.port).toBe(8770);
    expect(cfg.server.maxFrameBytes).toBe(4096);
    expect(cfg.metrics.public).toBe(false);
    expect(cfg.mcp.servers.fs!.callTimeoutMs).toBe(1500);
    cfg = parseConfig(text, "agentd.yaml", { KEY: "k", FRAME: "4096", T: "1500", B_PORT: "9001", PUBLIC: "true" });
    expect(cfg.server.port).toBe(9001);
    expect(cfg.metrics.public).toBe(true);
    // strings stay strings where the schema wants one; a value that is no number is still an error
    expect(parseConfig(`${base}\nname: "\${N:-1234}"\n`, "agentd.yaml", { KEY: "k" }).name).toBe("1234");
    const bad = error(() => parseConfig(text, "agentd.yaml", { KEY: "k", FRAME: "4096", T: "1500", B_PORT: "eighty" }));
    expect(bad.keyPath).toBe("server.port");
    expect(bad.reason).toContain("eighty");
    // without ${…}, a quoted number in the file is a string, as YAML says
    expect(error(() => parseConfig(`${base}\nserver:\n  port: "8770"\n`, "agentd.yaml", { KEY: "k" })).keyPath).toBe("server.port");
  });

  it("says which variable is missing and where", () => {
    const e = error(() => parseConfig(base, "agentd.yaml", {}));
    expect(e.keyPath).toBe("providers.p.apiKey");
    expect(e.reason).toContain("KEY");
  });

  it("checks references between models and providers", () => {
    const e = error(() => parseConfig(base.replace("provider: p", "provider: q"), "agentd.yaml", { KEY: "k" }));
    expect(e.keyPath).toBe("models.main.provider");
  });

  it("treats a section whose keys are all commented out as absent", () => {
    const cfg = parseConfig(`${base}\nagent:\n  # maxSteps: 3\n`, "agentd.yaml", { KEY: "k" });
    expect(cfg.agent.maxSteps).toBe(8);
  });

  it("reports YAML syntax errors with a line", () => {
    const e = error(() => parseConfig("model: [unclosed\n", "agentd.yaml", {}));
    expect(e.keyPath).toMatch(/^line \d+/);
  });
});

describe("expandEnv", () => {
  it("supports defaults and the $${ escape", () => {
    expect(expandEnv("${A:-x}-${B}", { B: "b" }, "f")).toBe("x-b");
    expect(expandEnv("$${A}", {}, "f")).toBe("${A}");
  });
});

describe("loadConfig", () => {
  it("loads .env before the YAML without overriding the environment", () => {
    const dir = mkdtempSync(join(tmpdir(), "cfg-"));
    writeFileSync(join(dir, "agentd.yaml"), base);
    writeFileSync(join(dir, ".env"), "KEY='from-dotenv'\nOTHER=1\n");
    expect(loadConfig(dir, {}).providers.p!.apiKey).toBe("from-dotenv");
    expect(loadConfig(dir, { KEY: "from-env" }).providers.p!.apiKey).toBe("from-env");
  });

  it("fails clearly when the folder has no config", () => {
    const e = error(() => loadConfig(mkdtempSync(join(tmpdir(), "cfg-")), {}));
    expect(e.reason).toContain("agentd init");
  });
});
