import { describe, it, expect } from "vitest";
import { ErrorCode } from "../../protocol/errors.js";
import { DEFAULT_USER_ERROR, USER_ERROR_LINES, userErrorLine } from "./user-error.js";

describe("userErrorLine", () => {
  it("maps wire error codes to one short friendly line", () => {
    expect(userErrorLine({ code: "model_error", message: "upstream 502 from https://x" })).toBe(
      "Sorry — the model is unavailable right now.",
    );
    expect(userErrorLine({ code: "unavailable", message: "" })).toBe("Sorry — the model is unavailable right now.");
    expect(userErrorLine({ code: "rate_limited", message: "" })).toBe("Slow down a little — too many messages.");
    expect(userErrorLine({ code: "unauthorized", message: "" })).toBe("This bridge is not authorised with the agent.");
  });

  it("has a single line without internals for every code", () => {
    for (const code of ErrorCode.options) {
      const line = USER_ERROR_LINES[code];
      expect(line).not.toContain("\n");
      expect(line.length).toBeLessThan(80);
    }
  });

  it("never shows a stack or the raw message", () => {
    const err = Object.assign(new Error("secret path /home/x"), { code: "weird" });
    expect(userErrorLine(err)).toBe(DEFAULT_USER_ERROR);
    expect(userErrorLine(new Error("boom"))).toBe("Sorry — something went wrong.");
    expect(userErrorLine(undefined)).toBe(DEFAULT_USER_ERROR);
    expect(userErrorLine("internal")).toBe(DEFAULT_USER_ERROR);
    expect(userErrorLine({ code: "toString" })).toBe(DEFAULT_USER_ERROR);
  });
});
