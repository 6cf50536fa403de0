// Writes dist/THIRD_PARTY_NOTICES.md and dist/sbom.cdx.json (CycloneDX 1.6 JSON) for the third-party packages that
// esbuild put inside dist/bundle/: the daemon, CLI and bridges (scripts/bundle.mjs) and the web app
// (scripts/build-web.mjs). Why: npm, `npm audit`, Dependabot and SBOM tools only see package.json's declared
// dependencies, and the ~250 packages the bundle carries are not among them; their licences (MIT, ISC, BSD,
// Apache-2.0) require their notices to ship with the copies we distribute.
// Input: esbuild's metafiles (`metafile: true`), saved by the two builds as dist/meta/*.json: every file of a
// package that ended up in an output is one of the metafile's `inputs`. Each package is read from its own
// package.json (name, version, licence) and licence files (LICENSE*, LICENCE*, COPYING*, plus NOTICE*, which
// Apache-2.0 section 4(d) asks to keep). Output is deterministic: sorted, no timestamps, no random serial number.
// The SBOM is built and serialized with @cyclonedx/cyclonedx-library (the format's own maintainers' library).
import { Enums, Models, Serialize, Spec } from "@cyclonedx/cyclonedx-library";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const META_DIR = "dist/meta";
const NOTICES = "dist/THIRD_PARTY_NOTICES.md";
const SBOM = "dist/sbom.cdx.json";

/** The package folder (e.g. `node_modules/a/node_modules/@s/b`) of a metafile input path, or null for our own files. */
export function packageDirOf(input) {
  const i = input.lastIndexOf("node_modules/");
  if (i < 0 || (i > 0 && input[i - 1] !== "/")) return null;
  const parts = input.slice(i + "node_modules/".length).split("/");
  const name = parts.slice(0, parts[0].startsWith("@") ? 2 : 1).join("/");
  return `${input.slice(0, i)}node_modules/${name}`;
}

/** The SPDX licence expression of a package.json: `license`, or the legacy `licenses: [{type}]` joined with OR. */
function licenceOf(pkg) {
  if (typeof pkg.license === "string") return pkg.license;
  if (pkg.license && typeof pkg.license.type === "string") return pkg.license.type;
  if (Array.isArray(pkg.licenses)) {
    const types = pkg.licenses.map((l) => (typeof l === "string" ? l : l?.type)).filter(Boolean);
    if (types.length) return types.length === 1 ? types[0] : `(${types.join(" OR ")})`;
  }
  return null;
}

/** The package URL of an npm package (purl spec: the scope's `@` is percent-encoded as %40). */
function purlOf(name, version) {
  const [scope, bare] = name.startsWith("@") ? name.split("/") : [null, name];
  return `pkg:npm/${scope ? `${encodeURIComponent(scope)}/` : ""}${encodeURIComponent(bare)}@${encodeURIComponent(version)}`;
}

/** Every third-party package in the saved metafiles, sorted by name then version, one entry per name@version. */
export function bundledPackages(metaDir = META_DIR) {
  const dirs = new Set();
  for (const f of readdirSync(metaDir).filter((f) => f.endsWith(".json")).sort()) {
    const meta = JSON.parse(readFileSync(join(metaDir, f), "utf8"));
    for (const input of Object.keys(meta.inputs)) {
      const dir = packageDirOf(input);
      if (dir) dirs.add(dir);
    }
  }
  const byId = new Map();
  for (const dir of dirs) {
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    const id = `${pkg.name}@${pkg.version}`;
    const prev = byId.get(id);
    if (prev) {
      prev.dirs.push(dir);
      continue;
    }
    const files = readdirSync(dir).filter((f) => /^(licen[cs]e|copying|notice)([.-].*)?$/i.test(f)).sort();
    byId.set(id, {
      name: pkg.name,
      version: pkg.version,
      licence: licenceOf(pkg),
      homepage: typeof pkg.homepage === "string" ? pkg.homepage : null,
      purl: purlOf(pkg.name, pkg.version),
      dirs: [dir],
      texts: files.map((f) => ({ file: f, text: readFileSync(join(dir, f), "utf8").replace(/\r\n?/g, "\n").trimEnd() })),
    });
  }
  return [...byId.values()].sort((a, b) => (a.name === b.name ? (a.version < b.version ? -1 : 1) : a.name < b.name ? -1 : 1));
}

/** THIRD_PARTY_NOTICES.md: a table of every package, then each one's licence files verbatim. */
function noticesOf(pkgs, self) {
  const out = [
    `# Third-party notices for ${self.name} ${self.version}`,
    "",
    `${self.name} is ${self.license}-licensed. Its bundle (dist/bundle/: daemon, CLI, bridges and web app) includes the`,
    `following ${pkgs.length} third-party packages, each under its own licence. Generated at build time from esbuild's`,
    "metafile by scripts/third-party.mjs; the same list, machine-readable, is dist/sbom.cdx.json (CycloneDX 1.6).",
    "",
    "| Package | Version | Licence |",
    "| --- | --- | --- |",
    ...pkgs.map((p) => `| ${p.name} | ${p.version} | ${p.licence ?? "UNKNOWN"} |`),
    "",
  ];
  for (const p of pkgs) {
    out.push("---", "", `## ${p.name} ${p.version}`, "", `Licence: ${p.licence ?? "UNKNOWN"}${p.homepage ? ` · ${p.homepage}` : ""}`, "");
    if (p.texts.length === 0) out.push(`The package ships no licence file; its package.json declares ${p.licence ?? "no licence"}.`, "");
    for (const t of p.texts) out.push(`### ${t.file}`, "", "```text", t.text.replace(/```/g, "'''"), "```", "");
  }
  return out.join("\n");
}

/** The CycloneDX 1.6 BOM: the agentd package as metadata.component, every bundled package a library component. */
function sbomOf(pkgs, self) {
  const bom = new Models.Bom();
  const root = new Models.Component(Enums.ComponentType.Application, self.name, {
    version: self.version,
    bomRef: purlOf(self.name, self.version),
    purl: purlOf(self.name, self.version),
  });
  root.licenses.add(new Models.SpdxLicense(self.license));
  bom.metadata.component = root;
  for (const p of pkgs) {
    const c = new Models.Component(Enums.ComponentType.Library, p.name, { version: p.version, bomRef: p.purl, purl: p.purl });
    if (p.licence) c.licenses.add(/^[A-Za-z0-9.+-]+$/.test(p.licence) ? new Models.SpdxLicense(p.licence) : new Models.LicenseExpression(p.licence));
    bom.components.add(c);
    root.dependencies.add(c.bomRef);
  }
  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
  return serializer.serialize(bom, { sortLists: true, space: 2 });
}

/** Reads dist/meta/*.json and writes the notices and the SBOM; returns the packages listed. */
export function writeThirdPartyFiles() {
  const self = JSON.parse(readFileSync("package.json", "utf8"));
  if (!existsSync(META_DIR)) throw new Error(`${META_DIR} is missing: run scripts/bundle.mjs`);
  const pkgs = bundledPackages();
  const unknown = pkgs.filter((p) => !p.licence);
  if (unknown.length) throw new Error(`bundled packages without a licence in package.json: ${unknown.map((p) => p.name).join(", ")}`);
  writeFileSync(NOTICES, noticesOf(pkgs, self) + "\n");
  writeFileSync(SBOM, sbomOf(pkgs, self) + "\n");
  return pkgs;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(`third-party: ${writeThirdPartyFiles().length} packages in ${NOTICES} and ${SBOM}`);
