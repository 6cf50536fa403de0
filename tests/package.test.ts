/**
 * The npm package is honest about what it ships (issue 18): every third-party package esbuild put into dist/bundle/
 * (the metafiles of scripts/bundle.mjs and scripts/build-web.mjs, saved in dist/meta/) is listed with its licence in
 * dist/THIRD_PARTY_NOTICES.md and in the CycloneDX SBOM dist/sbom.cdx.json; no GPL code is in the MIT bundle (the
 * WhatsApp bridge, which needs libsignal, is the separate package bridges/whatsapp); both files are in `npm pack`.
 * Runs on the built tree (`npm test` builds first).
 */
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const read = (f: string) => readFileSync(join(ROOT, f), "utf8");

/** name@version of every package folder among the metafiles' inputs, read from its own package.json. */
function bundledPackages(): Map<string, { name: string; version: string; dir: string }> {
  const out = new Map<string, { name: string; version: string; dir: string }>();
  for (const f of readdirSync(join(ROOT, "dist/meta"))) {
    const meta = JSON.parse(read(`dist/meta/${f}`)) as { inputs: Record<string, unknown> };
    for (const input of Object.keys(meta.inputs)) {
      const i = input.lastIndexOf("node_modules/");
      if (i < 0) continue;
      const rest = input.slice(i + "node_modules/".length).split("/");
      const dir = input.slice(0, i) + "node_modules/" + rest.slice(0, rest[0]!.startsWith("@") ? 2 : 1).join("/");
      const pkg = JSON.parse(read(`${dir}/package.json`)) as { name: string; version: string };
      out.set(`${pkg.name}@${pkg.version}`, { ...pkg, dir });
    }
  }
  return out;
}

interface CdxComponent { name: string; version: string; purl: string; licenses?: Array<{ license?: { id?: string; name?: string }; expression?: string }> }

describe("third-party notices and SBOM of the bundle", () => {
  const pkgs = bundledPackages();
  const notices = read("dist/THIRD_PARTY_NOTICES.md");
  const sbom = JSON.parse(read("dist/sbom.cdx.json")) as { bomFormat: string; specVersion: string; metadata: { component: CdxComponent }; components: CdxComponent[] };

  it("the bundle does carry third-party packages (the check below is not vacuous)", () => {
    expect(pkgs.size).toBeGreaterThan(50);
    expect([...pkgs.keys()].some((k) => k.startsWith("drizzle-orm@"))).toBe(true);
    expect([...pkgs.keys()].some((k) => k.startsWith("preact@"))).toBe(true); // the web app's metafile too
  });

  it("lists every bundled package in THIRD_PARTY_NOTICES.md with its version and licence, and its licence text when it ships one", () => {
    for (const { name, version, dir } of pkgs.values()) {
      const row = new RegExp(`^\\| ${name.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} \\| ${version.replace(/\./g, "\\.")} \\| (.+) \\|$`, "m").exec(notices);
      expect(row, `${name}@${version} in the notices table`).not.toBeNull();
      expect(row![1]).not.toBe("UNKNOWN");
      const licenceFile = readdirSync(join(ROOT, dir)).find((f) => /^licen[cs]e/i.test(f));
      if (licenceFile) expect(notices).toContain(readFileSync(join(ROOT, dir, licenceFile), "utf8").replace(/\r\n?/g, "\n").trim().split("\n")[0]!.trim());
    }
  });

  it("lists every bundled package in the CycloneDX SBOM with an npm purl and a licence", () => {
    expect(sbom.bomFormat).toBe("CycloneDX");
    expect(sbom.specVersion).toBe("1.6");
    expect(sbom.metadata.component).toMatchObject({ name: "agentd", purl: expect.stringMatching(/^pkg:npm\/agentd@/), licenses: [{ license: { id: "MIT" } }] });
    const byId = new Map(sbom.components.map((c) => [`${c.name}@${c.version}`, c]));
    for (const id of pkgs.keys()) {
      const c = byId.get(id);
      expect(c, id).toBeDefined();
      expect(c!.purl).toMatch(/^pkg:npm\/(%40[^/]+\/)?[^/@]+@/);
      expect(c!.licenses?.length, `${id} licence`).toBeGreaterThan(0);
    }
    expect(sbom.components).toHaveLength(pkgs.size);
  });

  it("has no GPL code in the MIT bundle: no Baileys, no libsignal, no GPL licence", () => {
    expect(notices).not.toMatch(/\| [^|]*GPL[^|]* \|$/m);
    for (const c of sbom.components) expect(JSON.stringify(c.licenses), c.name).not.toMatch(/GPL/);
    for (const id of pkgs.keys()) expect(id).not.toMatch(/^(libsignal|@whiskeysockets\/baileys)@/);
    expect(readdirSync(join(ROOT, "dist/bundle/bridges"))).not.toContain("whatsapp");
  });

  it("the WhatsApp bridge is its own GPL-3.0-or-later package that declares, not bundles, its dependencies", () => {
    const wa = JSON.parse(read("bridges/whatsapp/package.json")) as { name: string; version: string; license: string; dependencies: Record<string, string> };
    expect(wa).toMatchObject({ name: "agentd-whatsapp", license: "GPL-3.0-or-later", version: JSON.parse(read("package.json")).version });
    expect(Object.keys(wa.dependencies)).toContain("@whiskeysockets/baileys");
    expect(read("bridges/whatsapp/LICENSE")).toContain("GNU GENERAL PUBLIC LICENSE");
    const bundle = read("bridges/whatsapp/dist/main.js");
    expect(bundle).toMatch(/from\s*"@whiskeysockets\/baileys"/); // an import, not inlined code
  });

  it("ships the notices, the SBOM and the source maps in the npm package, and not the WhatsApp bridge", () => {
    const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: ROOT, encoding: "utf8" });
    const files = (JSON.parse(out) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(["dist/THIRD_PARTY_NOTICES.md", "dist/sbom.cdx.json", "dist/bundle/src/cli/main.js", "dist/bundle/src/cli/main.js.map", "bin/agentd.cjs"]));
    expect(files.filter((f) => /whatsapp|baileys|libsignal/i.test(f) && !f.startsWith("docs/"))).toEqual([]);
  });
});
