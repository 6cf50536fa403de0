import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors.js";
import { parseDotenv } from "../../protocol/endpoint.js";
import { dotenvLine, envNameFor, setDotenvVars } from "./dotenv-write.js";

describe(".env writing", () => {
  it("replaces existing lines in place, appends new ones, and quotes so the reader reads them back", () => {
    const text = "# secrets\nAGENTD_TOKEN=abc\nexport GROQ_API_KEY=old\n";
    const out = setDotenvVars(text, { GROQ_API_KEY: "gsk new#1", OTHER: "it's" });
    expect(out).toBe("# secrets\nAGENTD_TOKEN=abc\nGROQ_API_KEY='gsk new#1'\nOTHER=`it's`\n");
    expect(parseDotenv(out)).toEqual({ AGENTD_TOKEN: "abc", GROQ_API_KEY: "gsk new#1", OTHER: "it's" });
    expect(() => dotenvLine("X", "a\nb")).toThrow(ValidationError);
  });

  it("writes tricky values so that the reader (util.parseEnv) reads them back exactly", () => {
    const values = ["  spaces around  ", "a#b", "#start", "x = y=z", "it's", 'say "hi"', "it's \"quoted\"", "back\\n-slash", "it's back\\n", "`tick` 'n", "$HOME ${X}", "é ü", "tab\there", ""];
    const vars = Object.fromEntries(values.map((v, i) => [`V${i}`, v]));
    const text = setDotenvVars("# kept\nexport V0=old # note\n", vars);
    expect(text.startsWith("# kept\nV0='  spaces around  '\n")).toBe(true);
    expect(parseDotenv(text)).toEqual(vars);
    expect(() => dotenvLine("X", "'`\"")).toThrow(ValidationError);
    expect(() => dotenvLine("X", "'\\n\"`")).toThrow(ValidationError);
  });

  it("reads .env as the dotenv package does: export, comments, quotes, multi-line values", () => {
    const text = "# c\nexport A=1\nB = two # note\nC=a#b\nD='x # y'\nE=\"l1\\nl2\"\nF=\"multi\nline\"\r\nG=`b t`\n";
    expect(parseDotenv(text)).toEqual({ A: "1", B: "two", C: "a", D: "x # y", E: "l1\nl2", F: "multi\nline", G: "b t" });
  });

  it("names variables after the key path", () => {
    expect(envNameFor(["providers", "groq", "apiKey"])).toBe("GROQ_API_KEY");
    expect(envNameFor(["providers", "my-llm", "headers", "X-Title"])).toBe("MY_LLM_HEADER_X_TITLE");
    expect(envNameFor(["channels", "telegram", "botToken"])).toBe("TELEGRAM_BOT_TOKEN");
    expect(envNameFor(["mcp", "servers", "gh", "env", "TOKEN"])).toBe("MCP_GH_TOKEN");
  });
});
