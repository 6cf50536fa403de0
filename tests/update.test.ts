import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startFakeLlm, type FakeLlm } from "./support/fake-llm.js";
import { startFakeNpmRegistry, type FakeNpmRegistry } from "./support/fake-npm-registry.js";
import { cleanup, initAgent, startDaemon, tempDir, type RunningDaemon } from "./support/daemon.js";

// Update safety (issue 19): the npm name "agentd" belongs to an unrelated package, so `POST /api/update` never
// offers or installs a package it cannot verify. Against a local registry holding that package and ours.

let llm: FakeLlm;
let registry: FakeNpmRegistry;
let d: RunningDaemon;
let prefix: string;
beforeAll(async () => {
  llm = await startFakeLlm();
  registry = await startFakeNpmRegistry([
    // what npm holds under the name today: someone else's 0.0.1 without our command
    { name: "agentd", version: "0.0.1", description: "unrelated" },
    { name: "@acme/agentd", version: "0.2.0", bin: { agentd: "cli.js" }, repository: { type: "git", url: "git+https://github.com/acme/agentd.git" } },
  ]);
  prefix = tempDir("agentd-prefix-");
  const { dir } = await initAgent({ llmUrl: llm.url });
  d = await startDaemon(dir, { env: { npm_config_registry: registry.url, npm_config_prefix: prefix, npm_config_cache: join(prefix, ".npm-cache"), npm_config_update_notifier: "false" } });
});
afterAll(async () => {
  await d?.stop();
  await llm?.close();
  await registry?.close();
  if (d) cleanup(join(d.dir, ".."));
  if (prefix) cleanup(prefix);
});

const update = async (install = false) => {
  const res = await d.api("/api/update", { method: "POST", body: JSON.stringify({ install }) });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};
const setPackage = async (pkg: string) => {
  const res = await d.api("/api/config/update", { method: "PATCH", body: JSON.stringify({ package: pkg }) });
  expect(res.status).toBe(200);
};
const installed = () => join(prefix, "lib", "node_modules", "@acme", "agentd", "package.json");

describe("POST /api/update", () => {
  it("says updates are unavailable without asking the registry when nothing can vouch for a package", async () => {
    const r = await update(true);
    expect(r.status).toBe(503);
    expect(r.body.error.code).toBe("unavailable");
    expect(r.body.error.message).toMatch(/^updates are unavailable: this build of agentd names no repository.*set update\.package in agentd\.yaml/);
    expect(registry.requests).toEqual([]);
  });

  it("refuses the unrelated package named agentd even when configured", async () => {
    await setPackage("agentd");
    const r = await update(true);
    expect(r.status).toBe(503);
    expect(r.body.error.message).toBe("updates are unavailable: the registry's agentd@0.0.1 provides no agentd command (not this project); nothing was installed");
    expect(registry.requests.some((p) => p.endsWith(".tgz"))).toBe(false);
  });

  it("offers the configured package's newer version, compared with semver", async () => {
    await setPackage("@acme/agentd");
    const r = await update(false);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ current: "0.1.0", package: "@acme/agentd", latest: "0.2.0", updateAvailable: true, installed: false });
    // the WhatsApp bridge (this repository's workspace package, 0.1.0) is named with the command that moves it along
    expect(r.body.bridgePackages).toEqual([{ package: "agentd-whatsapp", version: "0.1.0", command: "npm install -g agentd-whatsapp@0.2.0" }]);
    expect(r.body.message).toMatch(/; agentd-whatsapp 0\.1\.0 is installed beside it and must move to the same version: npm install -g agentd-whatsapp@0\.2\.0$/);
    expect(existsSync(installed())).toBe(false);
  });

  it("installs nothing when the download does not match the registry's integrity hash", async () => {
    registry.tamper = true;
    try {
      const r = await update(true);
      expect(r.status).toBe(503);
      expect(r.body.error.message).toMatch(/^cannot download @acme\/agentd@0\.2\.0: .*(EINTEGRITY|integrity)/i);
      expect(existsSync(installed())).toBe(false);
    } finally {
      registry.tamper = false;
    }
  });

  it("installs exactly the verified tarball", async () => {
    const r = await update(true);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ latest: "0.2.0", installed: true });
    expect(r.body.message).toMatch(/^installed @acme\/agentd 0\.2\.0; stop and start the agent.*; agentd-whatsapp 0\.1\.0 is installed beside it/);
    // never installed by the update itself
    expect(existsSync(join(prefix, "lib", "node_modules", "agentd-whatsapp"))).toBe(false);
    expect(JSON.parse(readFileSync(installed(), "utf8"))).toMatchObject({ name: "@acme/agentd", version: "0.2.0" });
    expect(readFileSync(join(prefix, "lib", "node_modules", "@acme", "agentd", "cli.js"), "utf8")).toContain("good");
    expect(existsSync(join(prefix, "bin", "agentd"))).toBe(true);
  }, 120_000);
});
