import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it, expect } from "vitest";
import { bridgePackagesBehind, isNewer, normalizeRepositoryUrl, npmErrorSummary, ownPackage, updateSource, verifyManifest, type RegistryManifest } from "./update-check.js";

const INTEGRITY = `sha512-${"a".repeat(86)}==`;
const ours: RegistryManifest = {
  name: "agentd", version: "0.2.0", bin: { agentd: "dist/bundle/src/cli/main.js" },
  repository: { url: "git+https://github.com/Example/agentd.git" }, dist: { integrity: INTEGRITY },
};
// what the registry holds under the name "agentd" today: someone else's package
const squatter: RegistryManifest = { name: "agentd", version: "0.0.1", dist: { integrity: INTEGRITY } };

describe("update source and verification", () => {
  it("says updates are unavailable when nothing can vouch for the registry's package", () => {
    expect(() => updateSource({}, { name: "agentd" })).toThrow(/^updates are unavailable: this build of agentd names no repository/);
    // this build names no repository: the real package.json gives the same answer
    expect(ownPackage().repository).toBeUndefined();
    expect(() => updateSource({})).toThrow(/set update\.package in agentd\.yaml/);
  });

  it("uses update.package when configured, and this build's name when its repository is known", () => {
    expect(updateSource({ package: "@acme/agentd" }, { name: "agentd" })).toEqual({ package: "@acme/agentd", trust: "configured" });
    expect(updateSource({}, { name: "agentd", repository: "github.com/example/agentd" })).toEqual({ package: "agentd", trust: "repository", repository: "github.com/example/agentd" });
  });

  it("refuses a package of the same name from another repository, without the agentd command or an integrity hash", () => {
    const byRepo = { package: "agentd", trust: "repository" as const, repository: "github.com/example/agentd" };
    expect(() => verifyManifest(ours, byRepo)).not.toThrow();
    expect(() => verifyManifest({ ...ours, repository: "https://github.com/someone-else/agentd" }, byRepo)).toThrow(/comes from github\.com\/someone-else\/agentd, not github\.com\/example\/agentd/);
    expect(() => verifyManifest(squatter, byRepo)).toThrow(/provides no agentd command/);
    expect(() => verifyManifest(squatter, { package: "agentd", trust: "configured" })).toThrow(/nothing was installed/);
    const { dist: _d, ...noDist } = ours;
    expect(() => verifyManifest(noDist, byRepo)).toThrow(/no sha512 integrity/);
    expect(() => verifyManifest({ ...ours, name: "@evil/agentd" }, { package: "@acme/agentd", trust: "configured" })).toThrow(/is named @evil\/agentd/);
  });

  it("reads the repository forms npm writes as one", () => {
    for (const u of ["git+https://github.com/Example/agentd.git", "https://github.com/example/agentd", "git@github.com:example/agentd.git", "github:example/agentd", "git://github.com/example/agentd.git"]) {
      expect(normalizeRepositoryUrl(u)).toBe("github.com/example/agentd");
    }
    expect(normalizeRepositoryUrl("not a url")).toBeUndefined();
  });

  it("orders versions with semver", () => {
    expect(isNewer("0.2.0", "0.1.9")).toBe(true);
    expect(isNewer("1.0.0", "1.0.0")).toBe(false);
    expect(isNewer("1.10.0", "1.9.0")).toBe(true);
    expect(isNewer("1.0.0-rc.1", "1.0.0")).toBe(false);
    expect(isNewer("1.0.0-rc.10", "1.0.0-rc.2")).toBe(true);
    expect(isNewer("garbage", "1.0.0")).toBe(false);
  });

  it("keeps npm's own summary of a failure", () => {
    const json = JSON.stringify({ error: { code: "ECONNREFUSED", summary: "FetchError: request to http://127.0.0.1:9/agentd failed, reason: connect ECONNREFUSED 127.0.0.1:9" } });
    expect(npmErrorSummary(json, "")).toContain("ECONNREFUSED");
    expect(npmErrorSummary(JSON.stringify({ error: { summary: "request to https://ann:s3cret@npm.example/agentd failed" } }), "")).toBe("request to https://***@npm.example/agentd failed");
    expect(npmErrorSummary("", "npm warn x\nnpm error code E404\nnpm error 404 Not Found - GET http://r/agentd\n")).toBe("code E404");
  });

  it("names the WhatsApp bridge installed beside agentd when an update would leave it behind, with the command that moves it", () => {
    const prefix = mkdtempSync(join(tmpdir(), "agentd-update-bridges-"));
    try {
      // npm's global layout: PREFIX/lib/node_modules/{agentd,agentd-whatsapp}
      const root = join(prefix, "lib", "node_modules", "agentd");
      mkdirSync(root, { recursive: true });
      writeFileSync(join(root, "package.json"), JSON.stringify({ name: "agentd", version: "0.1.0" }));
      expect(bridgePackagesBehind(join(prefix, "none"), "0.2.0")).toEqual([]);
      const bridge = join(prefix, "lib", "node_modules", "agentd-whatsapp");
      mkdirSync(join(bridge, "dist"), { recursive: true });
      writeFileSync(join(bridge, "package.json"), JSON.stringify({ name: "agentd-whatsapp", version: "0.1.0", exports: { ".": "./dist/main.js" } }));
      writeFileSync(join(bridge, "dist", "main.js"), "");
      expect(bridgePackagesBehind(root, "0.2.0")).toEqual([{ package: "agentd-whatsapp", version: "0.1.0", command: "npm install -g agentd-whatsapp@0.2.0" }]);
      // already at the new version: nothing to say
      expect(bridgePackagesBehind(root, "0.1.0")).toEqual([]);
    } finally {
      rmSync(prefix, { recursive: true, force: true });
    }
  });
});
