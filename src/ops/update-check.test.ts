import { describe, it, expect } from "vitest";
import { compareVersions, npmErrorSummary } from "./update-check.js";

describe("update check helpers", () => {
  it("orders versions as semver does", () => {
    expect(compareVersions("0.2.0", "0.1.9")).toBeGreaterThan(0);
    expect(compareVersions("1.0.0", "1.0.0")).toBe(0);
    expect(compareVersions("v1.10.0", "1.9.0")).toBeGreaterThan(0);
    expect(compareVersions("1.0.0-rc.1", "1.0.0")).toBeLessThan(0);
    expect(compareVersions("1.0.0-rc.2", "1.0.0-rc.10")).toBeLessThan(0);
    expect(compareVersions("1.0.0-alpha", "1.0.0-alpha.1")).toBeLessThan(0);
    expect(compareVersions("1.0.0-beta", "1.0.0-alpha")).toBeGreaterThan(0);
  });

  it("keeps npm's own summary of a failure", () => {
    const json = JSON.stringify({ error: { code: "ECONNREFUSED", summary: "FetchError: request to http://127.0.0.1:9/agentd failed, reason: connect ECONNREFUSED 127.0.0.1:9" } });
    expect(npmErrorSummary(json, "")).toContain("ECONNREFUSED");
    expect(npmErrorSummary(JSON.stringify({ error: { summary: "request to https://ann:s3cret@npm.example/agentd failed" } }), "")).toBe("request to https://***@npm.example/agentd failed");
    expect(npmErrorSummary("", "npm warn x\nnpm error code E404\nnpm error 404 Not Found - GET http://r/agentd\n")).toBe("code E404");
  });
});
