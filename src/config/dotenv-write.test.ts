import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors.js";
import { parseDotenv } from "../../protocol/endpoint.js";
import { dotenvLine, envNameFor, setDotenvVars } from "./dotenv-write.js";

describe(".env writing", () => {
  it("replaces existing lines in place, appends new ones, and quotes so parseDotenv reads them back", () => {
    const text = "# secrets\nAGENTD_TOKEN=abc\nexport GROQ_API_KEY=old\n";
    const out = setDotenvVars(text, { GROQ_API_KEY: "gsk new#1", OTHER: "it's" });
    expect(out).toBe("# secrets\nAGENTD_TOKEN=abc\nGROQ_API_KEY='gsk new#1'\nOTHER=\"it's\"\n");
    expect(parseDotenv(out)).toEqual({ AGENTD_TOKEN: "abc", GROQ_API_KEY: "gsk new#1", OTHER: "it's" });
    expect(() => dotenvLine("X", "a\nb")).toThrow(ValidationError);
  });

  it("names variables after the key path", () => {
    expect(envNameFor(["providers", "groq", "apiKey"])).toBe("GROQ_API_KEY");
    expect(envNameFor(["providers", "my-llm", "headers", "X-Title"])).toBe("MY_LLM_HEADER_X_TITLE");
    expect(envNameFor(["channels", "telegram", "botToken"])).toBe("TELEGRAM_BOT_TOKEN");
    expect(envNameFor(["mcp", "servers", "gh", "env", "TOKEN"])).toBe("MCP_GH_TOKEN");
  });
});
