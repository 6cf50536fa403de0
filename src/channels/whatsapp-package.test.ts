import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { bridgeCommand } from "../cli/bridge.js";
import { packageRootOf, resolveWhatsAppPackage, whatsAppInstallCommand, whatsAppPackageProblem } from "./whatsapp-package.js";
import { VERSION } from "../version.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A project folder with agentd installed in node_modules (only its CLI file) and an agent config; optionally the bridge package. */
function project(withBridge: boolean, bridgeVersion = VERSION) {
  const root = realpathSync(mkdtempSync(join(tmpdir(), "agentd-wa-pkg-")));
  dirs.push(root);
  const cli = join(root, "node_modules", "agentd", "dist", "bundle", "src", "cli", "main.js");
  mkdirSync(join(cli, ".."), { recursive: true });
  writeFileSync(cli, "");
  writeFileSync(join(root, "node_modules", "agentd", "package.json"), JSON.stringify({ name: "agentd", version: VERSION }));
  writeFileSync(join(root, "agentd.yaml"), "model: m\nproviders:\n  p:\n    baseUrl: http://127.0.0.1:1/v1\nmodels:\n  m:\n    provider: p\n    model: x\n");
  if (withBridge) {
    const pkg = join(root, "node_modules", "agentd-whatsapp");
    mkdirSync(join(pkg, "dist"), { recursive: true });
    writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "agentd-whatsapp", version: bridgeVersion, type: "module", exports: { ".": "./dist/main.js" } }));
    writeFileSync(join(pkg, "dist", "main.js"), "export async function runBridge(opts) { globalThis.__waCalls = [...(globalThis.__waCalls ?? []), opts]; }\n");
  }
  return { root, cli, pkg: join(root, "node_modules", "agentd") };
}

describe("the WhatsApp bridge package (agentd-whatsapp, GPL, installed beside agentd)", () => {
  it("names the exact install command for a global install, a project install and the repository", () => {
    expect(whatsAppInstallCommand("/usr/local/lib/node_modules/agentd", "1.2.3")).toBe("npm install -g agentd-whatsapp@1.2.3");
    expect(whatsAppInstallCommand("/home/ann/bot/node_modules/agentd", "1.2.3", "/usr/local")).toBe("cd /home/ann/bot && npm install agentd-whatsapp@1.2.3");
    // Windows-style global layout: node_modules directly under npm's prefix
    expect(whatsAppInstallCommand("/opt/npm/node_modules/agentd", "1.2.3", "/opt/npm")).toBe("npm install -g agentd-whatsapp@1.2.3");
    expect(whatsAppInstallCommand("/src/agentd", "1.2.3")).toBe("cd /src/agentd && npm install && npm run build");
  });

  it("finds agentd's package folder from the CLI file, and the bridge package from there like a bare import", () => {
    const without = project(false);
    expect(packageRootOf(without.cli)).toBe(without.pkg);
    expect(resolveWhatsAppPackage(without.pkg)).toBeNull();
    const withPkg = project(true);
    expect(resolveWhatsAppPackage(withPkg.pkg)).toBe(join(withPkg.root, "node_modules", "agentd-whatsapp", "dist", "main.js"));
    expect(whatsAppPackageProblem(withPkg.pkg, VERSION)).toBeNull();
  });

  it("says when the installed bridge's version is not agentd's", () => {
    const p = project(true, "0.0.1");
    expect(whatsAppPackageProblem(p.pkg, VERSION)).toEqual({ message: `agentd-whatsapp 0.0.1 is installed but agentd is ${VERSION}`, command: `cd ${p.root} && npm install agentd-whatsapp@${VERSION}` });
  });

  it("when missing, `agentd bridge whatsapp DIR` fails with a config error (exit 78, not restarted) naming the install command", async () => {
    const p = project(false);
    await expect(bridgeCommand({ platform: "whatsapp", agentDir: p.root, cliFile: p.cli })).rejects.toMatchObject({
      name: "ConfigError",
      keyPath: "channels.whatsapp",
      reason: expect.stringContaining(`Install it with: cd ${p.root} && npm install agentd-whatsapp@${VERSION}`),
    });
    await expect(bridgeCommand({ platform: "whatsapp", url: "http://127.0.0.1:1", token: "t", cliFile: p.cli })).rejects.toMatchObject({
      code: "not_found",
      message: expect.stringContaining("GPL-3.0-or-later"),
    });
  });

  it("when installed, `agentd bridge whatsapp DIR` runs the package's runBridge", async () => {
    const p = project(true);
    await bridgeCommand({ platform: "whatsapp", agentDir: p.root, cliFile: p.cli });
    expect((globalThis as { __waCalls?: unknown[] }).__waCalls?.at(-1)).toEqual({ agentDir: p.root });
  });
});
